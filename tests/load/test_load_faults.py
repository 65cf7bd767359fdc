"""`conformance load` against the embedded reference server's load-only faults: each is named
by its requirement and the concurrency where it began, while `conformance run` passes against
the same switches."""

from __future__ import annotations

from pathlib import Path

import pytest
from load_runs import load
from runner import cli, served

THRESHOLD = 3
"""Streams open beyond which the load-only faults act in these tests."""
SMALL = ("--streams", "6", "--clip", "phrase", "--stream-seconds", "1")
"""Six streams of the 1.3 s clip."""


def test_a_dropped_final_metadata_is_named_with_the_concurrency(tmp_path: Path) -> None:
    found = load(
        tmp_path, *SMALL, "--ramp", "5", "--duration", "1", "--workers", "0",
        "--fault", "load-drops-final-metadata",
        env={"CONFORMANCE_REFERENCE_LOAD_STREAMS": str(THRESHOLD)},
    )  # fmt: skip
    assert found["exit"] == 1
    (violation,) = found["violations"]
    assert violation["requirement"] == "STREAM-SHUTDOWN-SEQUENCE"
    assert violation["broke_at"] > THRESHOLD  # the server counts no more streams than we do
    assert 2 <= found["held_up_to"] < violation["broke_at"]
    assert "not a Metadata" in violation["sample"]
    assert f"from {violation['broke_at']}" in found["statement"]
    page = (tmp_path / "load.html").read_text()
    assert page.count("<svg") == 3 and "<script" not in page
    assert "STREAM-SHUTDOWN-SEQUENCE" in page and found["statement"] in page


def test_stalled_results_are_named_with_the_concurrency(tmp_path: Path) -> None:
    found = load(
        tmp_path, "--streams", "5", "--clip", "mono", "--stream-seconds", "5", "--ramp", "1",
        "--duration", "0", "--workers", "0", "--time-scale", "0.3",
        "--fault", "load-stalls-results",
        env={"CONFORMANCE_REFERENCE_LOAD_STREAMS": str(THRESHOLD)},
    )  # fmt: skip
    assert found["exit"] == 1
    assert [v["requirement"] for v in found["violations"]] == ["STREAM-FULL-DUPLEX"]
    assert found["violations"][0]["broke_at"] > THRESHOLD


def test_run_passes_the_stream_area_against_the_load_only_faults() -> None:
    with served("load-drops-final-metadata", "load-stalls-results") as url:
        result = cli("run", "--target", url, "--api-key", "cli-test-key", "--only", "STREAM")
    assert result.returncode == 0, result.stdout[-2000:]


@pytest.mark.parametrize(
    ("flags", "code", "said"),
    [
        (("--worker",), 2, "--worker needs --master-host"),
        (("--target", "http://127.0.0.1:9", "--fault", "x"), 2, "not with --target"),
        (("--target", "http://127.0.0.1:9", "--api-key", "k"), 4, "127.0.0.1:9"),
    ],
)
def test_usage_and_unreachable_targets_are_one_line(flags: tuple[str, ...], code: int,
                                                     said: str) -> None:  # fmt: skip
    result = cli("load", *flags)
    assert result.returncode == code
    assert said in result.stderr and "Traceback" not in result.stderr
