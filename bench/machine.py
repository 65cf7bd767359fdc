"""One line describing the machine a benchmark ran on, printed beside every figure."""

from __future__ import annotations

import os
import platform


def describe() -> str:
    """Python, OS, CPU model and core count."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            cpu = next(
                line.split(":", 1)[1].strip() for line in info if line.startswith("model name")
            )
    except (OSError, StopIteration):
        pass
    return (
        f"Python {platform.python_version()} on {platform.system()} {platform.release()}, "
        f"{cpu}, {os.cpu_count()} cores"
    )
