"""Running `conformance load` in tests: its exit code and load.json."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from runner import cli


def load(tmp_path: Path, *flags: str, env: dict[str, str] | None = None) -> dict[str, Any]:
    """Run `conformance load` with the flags; load.json with its exit code and stdout."""
    result = cli("load", "--report-dir", str(tmp_path), *flags, env=env)
    assert result.returncode in (0, 1), result.stderr
    document: dict[str, Any] = json.loads((tmp_path / "load.json").read_text())
    document["exit"] = result.returncode
    document["stdout"] = result.stdout
    return document
