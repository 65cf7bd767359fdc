"""What a default run costs a metered API (`conformance run`, embedded server, every requirement).

    python bench/cost.py [--runs N] [--json FILE] [-- extra conformance run flags]

Prints the cost report.json states (requests per endpoint, audio seconds pre-recorded and
streamed, text-to-speech characters, callback deliveries) as a table, one column per run, and
writes the figures as JSON. Not part of the test run: figures belong here, never in tests.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from machine import describe

ROWS = (
    ("requests", "requests"),
    ("requests, listen", "requests_by_endpoint.listen"),
    ("requests, speak", "requests_by_endpoint.speak"),
    ("requests, manage", "requests_by_endpoint.manage"),
    ("streams opened", "requests_by_endpoint.streams"),
    ("audio seconds", "audio_seconds"),
    ("audio seconds, pre-recorded", "audio_seconds_prerecorded"),
    ("audio seconds, streamed", "audio_seconds_streamed"),
    ("text-to-speech characters", "tts_characters"),
    ("callback deliveries", "callback_deliveries"),
)
"""The table's rows: a label and where report.json's cost block holds the figure."""


def figure(cost: dict[str, Any], path: str) -> Any:
    """A figure of the cost block by dotted path (0 for an endpoint the run never used)."""
    value: Any = cost
    for part in path.split("."):
        value = value.get(part, 0) if isinstance(value, dict) else 0
    return value


def one_run(flags: list[str]) -> dict[str, Any]:
    """One default run; the cost block of its report.json, and whether every requirement
    passed (a cheaper run that proves less is no saving)."""
    with tempfile.TemporaryDirectory() as reports:
        done = subprocess.run(
            [sys.executable, "-m", "conformance", "run", "--report-dir", reports, *flags],
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            print(done.stdout[-2000:], done.stderr[-2000:], file=sys.stderr)
            raise SystemExit(f"the run exited {done.returncode}")
        report = json.loads((Path(reports) / "report.json").read_text())
    summary = report["summary"]
    cost: dict[str, Any] = report["cost"]
    cost["all_passed"] = summary["passed"] == summary["total"]
    return cost


def main() -> int:
    """Run the suite N times and print what each run cost."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write the figures here")
    parser.add_argument("flags", nargs="*", help="extra flags for conformance run")
    args = parser.parse_args()
    costs = [one_run(args.flags) for _ in range(args.runs)]
    width = max(len(label) for label, _ in ROWS)
    print(f"{'':{width}}  " + "  ".join(f"{'run ' + str(n + 1):>7}" for n in range(len(costs))))
    for label, path in ROWS:
        cells = []
        for cost in costs:
            value = figure(cost, path)
            cells.append(f"{value:>7.1f}" if isinstance(value, float) else f"{value:>7}")
        print(f"{label:{width}}  " + "  ".join(cells))
    passed = all(cost["all_passed"] for cost in costs)
    print(f"every requirement passed in every run: {'yes' if passed else 'NO'}")
    print(f"machine: {describe()}")
    if args.json:
        args.json.write_text(json.dumps({"runs": costs, "machine": describe()}, indent=2) + "\n")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
