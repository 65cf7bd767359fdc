"""The sans-I/O stream judge and the summary, without a network: frames and times in, verdicts
by requirement ID out."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from conformance.contract import catalogue
from conformance.load.analysis import Gate, peaks, summarise
from conformance.load.judge import Deadlines, StreamJudge

RATE = 32_000
"""Bytes per second of 16 kHz mono linear16."""
DEADLINES = Deadlines(message=2.0, end=2.0, duration_tolerance=0.05)
REQUEST = "f04c6f60-cedb-4b2e-bf3f-f7edd1e69e50"
MODEL = {"name": "general-reference", "version": "2026-01-01.0", "arch": "reference"}
UUID = "5d3b0c1e-7a0f-4c9e-9b1a-2f6f0e8d4c21"
AUDIO = b"\1\0" * RATE  # two seconds
CATALOGUE = catalogue.load()


def _results(start: float, duration: float) -> str:
    """A final Results of the window, as the reference sends it."""
    return json.dumps({
        "type": "Results", "channel_index": [0, 1], "duration": duration, "start": start,
        "is_final": True, "speech_final": True, "from_finalize": False,
        "channel": {"alternatives": [{"transcript": "", "confidence": 0.0, "words": []}]},
        "metadata": {"request_id": REQUEST, "model_info": MODEL, "model_uuid": UUID},
    })  # fmt: skip


def _metadata(data: bytes = AUDIO, duration: float = 2.0) -> str:
    """The Metadata of a stream that sent `data`."""
    return json.dumps({
        "type": "Metadata", "transaction_key": "deprecated", "request_id": REQUEST,
        "sha256": hashlib.sha256(data).hexdigest(), "created": "2026-12-04T23:19:56.885Z",
        "duration": duration, "channels": 1, "models": [UUID], "model_info": {UUID: MODEL},
    })  # fmt: skip


def _judge(
    messages: list[tuple[float, str]],
    close: tuple[int | None, float] | None = (1000, 2.1),
    close_stream: bool = True,
) -> dict[str, Any]:
    """Two seconds sent in 100 ms frames from t=0; messages (arrival, text); CloseStream at
    2.0; then the close (code, at); the verdict as the master gets it."""
    judge = StreamJudge("ws://x/v1/listen", RATE, 1, DEADLINES, wall=1000.0)
    judge.opened(0.0)
    pending = sorted(messages)
    for index in range(20):
        at = (index + 1) * 0.1
        while pending and pending[0][0] <= at:
            arrival, text = pending.pop(0)
            judge.received(text, len(text), arrival)
        judge.sent_audio(AUDIO[index * 3200 : (index + 1) * 3200], at)
    if close_stream:
        judge.sent_close_stream(2.0)
    for arrival, text in pending:
        judge.received(text, len(text), arrival)
    if close is not None:
        judge.closing(close[0], "", close[1])
    return vars(judge.verdict(1010.0))


CLEAN = [(1.2, _results(0.0, 1.0)), (2.05, _results(1.0, 1.0)), (2.06, _metadata())]


def test_a_conformant_stream_passes_every_rule_and_gives_its_latencies() -> None:
    verdict = _judge(CLEAN)
    assert verdict["failed"] == {}
    assert {
        "STREAM-MESSAGES-JSON", "STREAM-RESULTS-SCHEMA", "STREAM-METADATA", "STREAM-REQUEST-ID",
        "STREAM-START-ORDER", "STREAM-SHUTDOWN-SEQUENCE", "STREAM-FULL-DUPLEX",
        "STREAM-SHUTDOWN-CLOSESTREAM", "STREAM-SHUTDOWN-CODE",
    } <= set(verdict["judged"])  # fmt: skip
    assert [round(late, 2) for _, late in verdict["latencies"]] == [0.2, 0.05]
    assert round(verdict["close_after"], 2) == 0.1


def test_a_missing_metadata_breaks_the_shutdown_sequence() -> None:
    verdict = _judge(CLEAN[:2])
    assert set(verdict["failed"]) == {"STREAM-SHUTDOWN-SEQUENCE"}
    assert "not a Metadata" in verdict["failed"]["STREAM-SHUTDOWN-SEQUENCE"]


def test_a_final_past_the_message_deadline_breaks_full_duplex() -> None:
    verdict = _judge([(3.5, _results(0.0, 1.0)), (3.6, _results(1.0, 1.0)), (3.7, _metadata())],
                     close=(1000, 3.8))  # fmt: skip
    assert set(verdict["failed"]) == {"STREAM-FULL-DUPLEX"}
    assert (
        "second 1 came 2.50 s after it ended (deadline 2 s)"
        in verdict["failed"]["STREAM-FULL-DUPLEX"]
    )


def test_closing_rules_code_deadline_and_no_close_while_audio_flows() -> None:
    assert set(_judge(CLEAN, close=(1011, 2.1))["failed"]) == {"STREAM-SHUTDOWN-CODE"}
    assert set(_judge(CLEAN, close=(1000, 4.5))["failed"]) == {"STREAM-SHUTDOWN-CLOSESTREAM"}
    assert set(_judge(CLEAN, close=None)["failed"]) == {"STREAM-SHUTDOWN-CLOSESTREAM"}
    early = _judge(CLEAN[:1], close=(1011, 1.5), close_stream=False)
    assert set(early["failed"]) == {"STREAM-IDLE-TIMEOUT"}


def test_metadata_must_hash_and_time_the_audio_sent() -> None:
    wrong = [*CLEAN[:2], (2.06, _metadata(b"other", duration=3.0))]
    failure = _judge(wrong)["failed"]["STREAM-METADATA"]
    assert "sha256" in failure and "duration 3.0" in failure


def test_finals_short_of_the_audio_break_the_shutdown_sequence() -> None:
    verdict = _judge([(1.2, _results(0.0, 1.0)), (2.06, _metadata())])
    assert "no final Results covers second 2" in verdict["failed"]["STREAM-SHUTDOWN-SEQUENCE"]


def _stream(opened: float, ended: float, failed: dict[str, str] | None = None) -> dict[str, Any]:
    return {"opened_at": opened, "ended_at": ended, "judged": ["STREAM-SHUTDOWN-SEQUENCE"],
            "failed": failed or {}, "latencies": [(opened + 1, 0.2)], "close_after": 0.01,
            "not_opened": None}  # fmt: skip


def test_the_summary_says_where_the_contract_broke() -> None:
    lost = {"STREAM-SHUTDOWN-SEQUENCE": "no Metadata"}
    streams = [_stream(0, 1), _stream(2, 3), _stream(2.5, 3.5)]  # peaks 1, 2, 2
    streams += [_stream(4 + i / 10, 5, lost if i % 2 else None) for i in range(4)]  # peak 4
    assert peaks(streams) == [1, 2, 2, 4, 4, 4, 4]
    summary = summarise(streams, CATALOGUE, Gate())
    assert summary.held_up_to == 2
    (violation,) = summary.violations
    assert (violation.requirement, violation.broke_at, violation.streams) == (
        "STREAM-SHUTDOWN-SEQUENCE", 4, 2,
    )  # fmt: skip
    assert summary.statement == (
        "conformant up to 2 streams; from 4, 50% of streams broke STREAM-SHUTDOWN-SEQUENCE (2 of 7)"
    )
    assert summary.failures == ["STREAM-SHUTDOWN-SEQUENCE (MUST) broken by 2 streams"]


def test_the_gate_takes_the_latency_bound_and_should_only_when_strict() -> None:
    code = {"STREAM-SHUTDOWN-CODE": "closed with 1011"}
    streams = [_stream(0, 1, code), _stream(0, 1)]
    assert summarise(streams, CATALOGUE, Gate()).failures == []
    assert summarise(streams, CATALOGUE, Gate(strict=True)).failures != []
    slow = summarise(streams, CATALOGUE, Gate(max_p99=0.1)).failures
    assert slow == ["latency p99 0.200 s above the bound of 0.1 s"]
