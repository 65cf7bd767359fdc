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
RATE_THRESHOLD = 5
"""Pre-recorded requests in a second beyond which load-drops-callbacks acts in these tests."""
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


def test_dropped_callbacks_are_named_with_the_rate(tmp_path: Path) -> None:
    found = load(
        tmp_path, "--listen-rate", "12", "--callback-share", "1", "--clip", "phrase",
        "--ramp", "3", "--duration", "1", "--workers", "0", "--time-scale", "0.1",
        "--fault", "load-drops-callbacks",
        env={"CONFORMANCE_REFERENCE_LOAD_REQUESTS": str(RATE_THRESHOLD)},
    )  # fmt: skip
    assert found["exit"] == 1
    rest = found["rest"]
    (violation,) = rest["violations"]
    assert violation["requirement"] == "CALLBACK-DELIVERY"
    assert violation["broke_at"] > RATE_THRESHOLD / 2  # the rate counted over 2 s, not 1
    assert 0 < rest["held_up_to"] < violation["broke_at"]
    assert "no delivery reached the callback URL" in violation["sample"]
    assert f"from {violation['broke_at']:g} requests/s" in found["statement"]
    assert "CALLBACK-DELIVERY" in (tmp_path / "load.html").read_text()


def test_run_passes_against_the_load_only_faults() -> None:
    faults = ("load-drops-final-metadata", "load-stalls-results", "load-drops-callbacks")
    only = ("--only", "STREAM", "--only", "CALLBACK", "--only", "LISTEN")
    with served(*faults) as url:
        result = cli("run", "--target", url, "--api-key", "cli-test-key", *only)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]


CALLBACKS_FAR = ("--target", "http://192.0.2.1", "--api-key", "k", "--listen-rate", "1",
                 "--callback-share", "1")  # fmt: skip
"""Callbacks asked of a target that cannot reach this machine, without a public URL."""


@pytest.mark.parametrize(
    ("flags", "code", "said"),
    [
        (("--worker",), 2, "--worker needs --master-host"),
        (("--target", "http://127.0.0.1:9", "--fault", "x"), 2, "not with --target"),
        (("--target", "http://127.0.0.1:9", "--api-key", "k"), 4, "127.0.0.1:9"),
        (("--fault", "no-such-fault"), 2, "--fault no-such-fault: no such fault switch"),
        (("--callback-share", "0.5"), 2, "give both"),
        (("--streams", "0"), 2, "nothing to load"),
        (CALLBACKS_FAR, 2, "needs --callback-public-url"),
    ],
)
def test_usage_and_unreachable_targets_are_one_line(flags: tuple[str, ...], code: int,
                                                     said: str) -> None:  # fmt: skip
    result = cli("load", *flags)
    assert result.returncode == code
    assert said in result.stderr and "Traceback" not in result.stderr
