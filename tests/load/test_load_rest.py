"""`conformance load --listen-rate`: pre-recorded requests, with and without callbacks, judged
by the suite's rules at the rate Locust paces, alone or beside the streams."""

from __future__ import annotations

from pathlib import Path

from load_runs import load

REST = ("--listen-rate", "8", "--callback-share", "0.5", "--clip", "phrase", "--ramp", "1")
"""8 requests a second of the 1.3 s clip, every other one with a callback, reached in a second."""


def test_requests_alone_hold_the_contract(tmp_path: Path) -> None:
    found = load(tmp_path, *REST, "--duration", "2", "--workers", "0")
    assert found["exit"] == 0, found["stdout"]
    assert found["streams"] == 0 and found["setup"]["streams"] == 0
    rest = found["rest"]
    assert rest["violations"] == [] and rest["not_answered"] == {}
    assert rest["requests"] >= 16 and rest["with_callback"] >= rest["requests"] // 2 - 1
    assert rest["answer"]["p99"] > 0 and rest["callback"]["p99"] > 0
    judged = {r for request in rest["per_request"] for r in request["judged"]}
    assert {"LISTEN-SCHEMA", "LISTEN-SHA256", "LISTEN-DURATION", "LISTEN-REQUEST-ID-HEADER",
            "CALLBACK-ACCEPTED", "CALLBACK-DELIVERY", "CALLBACK-REQUEST-ID"} <= judged  # fmt: skip
    assert 6 <= rest["peak_rate"] <= 10  # Locust's pacing, not a burst per user
    assert "pre-recorded requests/s" in found["statement"]
    assert "request to callback delivery" in found["stdout"]
    assert "Pre-recorded requests" in (tmp_path / "load.html").read_text()


def test_streams_and_requests_together_on_two_workers(tmp_path: Path) -> None:
    found = load(
        tmp_path, *REST, "--streams", "3", "--stream-seconds", "1", "--duration", "2",
        "--workers", "2",
    )  # fmt: skip
    assert found["exit"] == 0, found["stdout"]
    assert found["setup"]["processes"] == 3 and found["setup"]["lost_streams"] == 0
    assert found["streams"] >= 3 and found["violations"] == []
    assert found["rest"]["requests"] >= 16 and found["rest"]["violations"] == []
    assert found["statement"].startswith("streams: conformant")
