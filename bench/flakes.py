"""Flake hunt: the default run N times against the embedded server; any requirement whose
verdict varied is listed with its verdicts. Not part of the test run.

    python bench/flakes.py [--runs 20]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from machine import describe


def main() -> int:
    """Run, collect verdicts, report the unstable ones."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    seen: dict[str, list[str]] = defaultdict(list)
    reasons: dict[str, set[str]] = defaultdict(set)
    began = time.perf_counter()
    for index in range(args.runs):
        with tempfile.TemporaryDirectory() as reports:
            subprocess.run(
                [sys.executable, "-m", "conformance", "run", "--report-dir", reports],
                capture_output=True,
                check=False,
            )
            report = json.loads((Path(reports) / "report.json").read_text())
        for entry in report["requirements"]:
            seen[entry["id"]].append(entry["verdict"])
            if entry["verdict"] != "pass":
                reasons[entry["id"]].add(f"{entry['verdict']}: {entry['reason'][:300]}")
        print(f"run {index + 1}/{args.runs}: {report['outcome']}", flush=True)
    unstable = {i: v for i, v in seen.items() if len(set(v)) > 1}
    for requirement_id, verdicts in sorted(unstable.items()):
        print(f"UNSTABLE {requirement_id}: {', '.join(verdicts)}")
        for reason in sorted(reasons[requirement_id]):
            print(f"    {reason}")
    print(
        f"{len(unstable)} of {len(seen)} requirements varied over {args.runs} runs "
        f"({time.perf_counter() - began:.0f} s)"
    )
    print(f"machine: {describe()}")
    return 1 if unstable else 0


if __name__ == "__main__":
    sys.exit(main())
