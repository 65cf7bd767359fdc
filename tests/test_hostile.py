"""Hostile targets: every affected case ends fail, timeout or error within its deadline, the run
ends in bounded time with the right exit code, and the report says what happened in one line."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from hostile import hostile
from test_cli import cli

from conformance.timing import Timing

SCALE = 0.05
"""Deadlines at 1/20: a request may take 3 s, a case 15 s."""
DRIP_SCALE = 0.03
"""The dripping target's: every request to it runs out its deadline, some cases send two in a
row, so 1.8 s a request (still six times what a local answer takes on a loaded machine)."""

EXPECTED = {
    "broken-json": ("LISTEN-SCHEMA", "fail", "not JSON"),
    "html": ("LISTEN-SCHEMA", "fail", "not JSON"),
    "huge-body": ("LISTEN-RAW-BODY", "fail", "exceeds 20 MB"),
    "drip": (
        "LISTEN-RAW-BODY",
        "timeout",
        f"no complete answer within {Timing(DRIP_SCALE).request:g} s",
    ),
    "reset": ("LISTEN-RAW-BODY", "fail", "connection failed"),
}
"""Mode -> the requirement whose observation it breaks (a 200 that is no transcription is
LISTEN-SCHEMA's; no answer at all, LISTEN-RAW-BODY's), its verdict, words of its reason. AUTH-TOKEN
needs only a 200, so a body that is no transcription does not fail it."""


@pytest.mark.parametrize("mode", sorted(EXPECTED))
def test_hostile_target_is_judged_in_bounded_time(mode: str, tmp_path: Path) -> None:
    requirement_id, verdict, words = EXPECTED[mode]
    began = time.monotonic()
    with hostile(mode) as url:
        done = cli(
            "run",
            "--target",
            url,
            "--api-key",
            "k",
            "--only",
            "AUTH",
            "--only",
            "LISTEN",
            "--time-scale",
            str(DRIP_SCALE if mode == "drip" else SCALE),
            "--report-dir",
            str(tmp_path),
        )
    elapsed = time.monotonic() - began
    assert done.returncode == 1, done.stdout + done.stderr
    assert elapsed < 40, f"the run took {elapsed:.0f} s"
    report = json.loads((tmp_path / "report.json").read_text())
    judged = {r["id"]: r for r in report["requirements"]}
    broken = judged[requirement_id]
    assert broken["verdict"] == verdict, broken["reason"]
    assert words in broken["reason"]
    assert "\n" not in broken["reason"] and len(broken["reason"]) < 400
    token = judged["AUTH-TOKEN"]["verdict"]
    assert (token == "pass") == (requirement_id == "LISTEN-SCHEMA"), judged["AUTH-TOKEN"]
    assert "Traceback" not in done.stdout + done.stderr
