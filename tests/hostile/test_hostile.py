"""Hostile targets: every affected case ends fail, timeout or error within its deadline, the run
ends in bounded time with the right exit code, and the report says what happened in one line."""

from __future__ import annotations

import json
from contextlib import ExitStack
from pathlib import Path

import pytest
from hostile import hostile
from hostile_runs import Ran, run_alone, run_together, take

from conformance.timing import Timing

SCALE = 0.05
"""Deadlines at 1/20: a request may take 3 s, a case 15 s."""
EXPECTED = {
    "broken-json": ("LISTEN-SCHEMA", "fail", "not JSON"),
    "html": ("LISTEN-SCHEMA", "fail", "not JSON"),
    "huge-body": ("LISTEN-RAW-BODY", "fail", "exceeds 20 MB"),
    "drip": (
        "LISTEN-RAW-BODY",
        "timeout",
        f"no complete answer within {Timing(SCALE).request:g} s",
    ),
    "reset": ("LISTEN-RAW-BODY", "fail", "connection failed"),
}
"""Mode -> the requirement whose observation it breaks (a 200 that is no transcription is
LISTEN-SCHEMA's; no answer at all, LISTEN-RAW-BODY's), its verdict, words of its reason. AUTH-TOKEN
needs only a 200, so a body that is no transcription does not fail it."""


def _flags(mode: str, url: str) -> list[str]:
    """AUTH and LISTEN against the hostile server for `mode` at `url`."""
    return ["--target", url, "--only", "AUTH", "--only", "LISTEN", "--time-scale", str(SCALE)]


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Ran]:
    """Every mode's run, all at once (the dripping one waits out its deadlines), each against
    a server of its own: a test judges its mode's the first time (see hostile_runs.take)."""
    with ExitStack() as servers:
        runs = {
            mode: (
                tmp_path_factory.mktemp(mode),
                _flags(mode, servers.enter_context(hostile(mode))),
            )
            for mode in EXPECTED
        }
        return run_together(runs)


@pytest.mark.parametrize("mode", sorted(EXPECTED))
def test_hostile_target_is_judged_in_bounded_time(
    mode: str, shared: dict[str, Ran], tmp_path: Path
) -> None:
    def alone() -> Ran:
        with hostile(mode) as url:
            return run_alone(tmp_path, *_flags(mode, url))

    ran = take(shared, mode, alone)
    requirement_id, verdict, words = EXPECTED[mode]
    output = ran.done.stdout + ran.done.stderr
    assert ran.done.returncode == 1, output
    assert "Traceback" not in output
    assert ran.elapsed < 40, f"the run took {ran.elapsed:.0f} s"
    report = json.loads((ran.report_dir / "report.json").read_text())
    judged = {r["id"]: r for r in report["requirements"]}
    broken = judged[requirement_id]
    assert broken["verdict"] == verdict, broken["reason"]
    assert words in broken["reason"]
    assert "\n" not in broken["reason"] and len(broken["reason"]) < 400
    token = judged["AUTH-TOKEN"]["verdict"]
    assert (token == "pass") == (requirement_id == "LISTEN-SCHEMA"), judged["AUTH-TOKEN"]
