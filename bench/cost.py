"""What a default run costs a metered API (`conformance run`, embedded server, every requirement).

    python bench/cost.py [--runs N] [--json FILE] [--top N] [--split REPORT] [-- run flags]

Prints the cost report.json states (requests per endpoint, audio seconds pre-recorded and
streamed, text-to-speech characters, callback deliveries) as a table, one column per run, and
writes the figures as JSON. --top N lists the requirements whose cases sent the most; --split
REPORT sums what the requirements of an older report.json sent apart from the ones added since
(to compare a run with one made before them). Not part of the test run: figures belong here.
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

from conformance.wire.cost import RUN

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


def top(cost: dict[str, Any], count: int) -> None:
    """The requirements whose cases sent the most requests."""
    shares = sorted(cost["by_requirement"].items(), key=lambda kv: -kv[1]["requests"])
    print(f"the {count} requirements whose cases sent the most (requests, audio seconds):")
    for name, share in shares[:count]:
        print(f"  {share['requests']:4}  {share['audio_seconds']:7.1f}  {name}")


def split(cost: dict[str, Any], older: Path) -> None:
    """What the requirements of an older report sent (with the run's own requests), and what
    the requirements added since sent."""
    known = {entry["id"] for entry in json.loads(older.read_text())["requirements"]}
    groups: dict[str, list[float]] = {"in the older report": [0, 0.0], "added since": [0, 0.0]}
    for name, share in cost["by_requirement"].items():
        group = groups["added since" if name not in known | {RUN} else "in the older report"]
        group[0] += share["requests"]
        group[1] += share["audio_seconds"]
    for label, (requests, seconds) in groups.items():
        print(f"requirements {label}: {requests:.0f} requests, {seconds:.1f} audio seconds")


def main() -> int:
    """Run the suite N times and print what each run cost."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write the figures here")
    parser.add_argument("--top", type=int, default=0, metavar="N")
    parser.add_argument("--split", type=Path, metavar="REPORT")
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
    if args.top:
        top(costs[0], args.top)
    if args.split:
        split(costs[0], args.split)
    passed = all(cost["all_passed"] for cost in costs)
    print(f"every requirement passed in every run: {'yes' if passed else 'NO'}")
    print(f"machine: {describe()}")
    if args.json:
        args.json.write_text(json.dumps({"runs": costs, "machine": describe()}, indent=2) + "\n")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
