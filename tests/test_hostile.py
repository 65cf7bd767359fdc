"""Hostile targets: every affected case ends fail, timeout or error within its deadline, the run
ends in bounded time with the right exit code, and the report says what happened in one line."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from hostile import hostile
from test_cli import _run_cli

SCALE = "0.05"
"""Deadlines at 1/20: a request may take 3 s, a case 15 s."""

EXPECTED = {
    "broken-json": ("fail", "not JSON"),
    "html": ("fail", "not JSON"),
    "huge-body": ("fail", "exceeds 20 MB"),
    "drip": ("timeout", "no complete answer within 3 s"),
    "reset": ("fail", "connection failed"),
}


@pytest.mark.parametrize("mode", sorted(EXPECTED))
def test_hostile_target_is_judged_in_bounded_time(mode: str, tmp_path: Path) -> None:
    verdict, words = EXPECTED[mode]
    began = time.monotonic()
    with hostile(mode) as url:
        done = _run_cli(
            "run",
            "--target",
            url,
            "--api-key",
            "k",
            "--only",
            "AUTH",
            "--time-scale",
            SCALE,
            "--report-dir",
            str(tmp_path),
            timeout=90,
        )
    elapsed = time.monotonic() - began
    assert done.returncode == 1, done.stdout + done.stderr
    assert elapsed < 40, f"the run took {elapsed:.0f} s"
    report = json.loads((tmp_path / "report.json").read_text())
    token = next(r for r in report["requirements"] if r["id"] == "AUTH-TOKEN")
    assert token["verdict"] == verdict, token["reason"]
    assert words in token["reason"]
    assert "\n" not in token["reason"] and len(token["reason"]) < 400
    assert "Traceback" not in done.stdout + done.stderr
