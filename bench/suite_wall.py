"""Wall time of the default run (`conformance run`, embedded server, every requirement).

    python bench/suite_wall.py [--runs N] [-- extra conformance run flags]

Prints each run's wall time, then the median and spread, and the machine. Not part of the
test run: timings belong here, never in tests.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time

from machine import describe


def main() -> int:
    """Run the suite N times and report wall-clock figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("flags", nargs="*", help="extra flags for conformance run")
    args = parser.parse_args()
    walls = []
    for index in range(args.runs):
        with tempfile.TemporaryDirectory() as reports:
            began = time.perf_counter()
            done = subprocess.run(
                [sys.executable, "-m", "conformance", "run", "--report-dir", reports, *args.flags],
                capture_output=True,
                text=True,
                check=False,
            )
            walls.append(time.perf_counter() - began)
        print(f"run {index + 1}: {walls[-1]:.2f} s (exit {done.returncode})")
        if done.returncode != 0:
            print(done.stdout[-2000:], done.stderr[-2000:], file=sys.stderr)
            return 1
    spread = max(walls) - min(walls)
    print(
        f"median {statistics.median(walls):.2f} s, min {min(walls):.2f} s, "
        f"max {max(walls):.2f} s, spread {spread:.2f} s over {len(walls)} runs"
    )
    print(f"machine: {describe()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
