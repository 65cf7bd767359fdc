"""The reference server's voice-agent controls on WebSocket /v1/listen: endpointing in
milliseconds, UtteranceEnd, SpeechStarted, formatting options and their fault switches."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Iterator
from typing import Any

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from conformance.reference.model.settings import DEFAULT_API_KEY, Settings
from conformance.reference.serving import running
from conformance.reference.tenants import create_tenants
from conformance.wire import audio
from conformance.wire.codecs import stream_audio, with_silence

AUTH = {"Authorization": f"Token {DEFAULT_API_KEY}"}
RAW = "encoding=linear16&sample_rate=16000&channels=1"
BURSTS = audio.mono().bursts[0]
"""Where the mono clip speaks: pauses of 0.5 s (1.7-2.2) and 1.2 s (3.0-4.2) among others."""


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    with running(create_tenants(Settings(stream_idle_timeout=2.0))) as url:
        yield url.replace("http://", "ws://")


def _stream(base: str, query: str, fault: str | None = None, tail: float = 0.0) -> list[Any]:
    """Play the mono clip (and `tail` seconds of silence) and CloseStream; every message."""
    source = stream_audio("mono")
    if tail:
        source = with_silence(source, tail)
    prefix = f"/fault/{fault}" if fault else ""

    async def scenario() -> list[Any]:
        url = f"{base}{prefix}/v1/listen?{RAW}&{query}"
        async with connect(url, additional_headers=AUTH) as ws:
            for frame in source.frames():
                await ws.send(frame)
            await ws.send(json.dumps({"type": "CloseStream"}))
            messages = []
            with contextlib.suppress(ConnectionClosed):
                async for message in ws:
                    messages.append(json.loads(message))
            return messages

    return asyncio.run(scenario())


def _endpoint_ends(messages: list[Any]) -> list[float]:
    """Where each final with speech_final true ends, but the shutdown flush's."""
    finals = [m for m in messages if m["type"] == "Results" and m["speech_final"]]
    return [round(m["start"] + m["duration"], 3) for m in finals[:-1]]


def test_endpointing_milliseconds_wait_for_that_silence(server: str) -> None:
    ends = _endpoint_ends(_stream(server, "endpointing=800"))
    assert ends and all(3.0 + 0.8 <= end <= 4.2 for end in ends), ends


def test_endpointing_milliseconds_ignored_under_its_fault(server: str) -> None:
    ends = _endpoint_ends(_stream(server, "endpointing=800", "stream-endpointing-ms-ignored"))
    assert any(end < 3.0 for end in ends), ends


def test_default_endpointing_is_unchanged(server: str) -> None:
    assert any(end < 3.0 for end in _endpoint_ends(_stream(server, "interim_results=false")))


def test_utterance_end_after_the_gap_names_the_last_word(server: str) -> None:
    messages = _stream(server, "interim_results=true&utterance_end_ms=1000", tail=2.0)
    ends = [m for m in messages if m["type"] == "UtteranceEnd"]
    assert [m["channel"] for m in ends] == [[0, 1], [0, 1]]
    assert [m["last_word_end"] for m in ends] == pytest.approx([3.0, 5.6], abs=0.05)


def test_utterance_end_needs_interim_results(server: str) -> None:
    messages = _stream(server, "utterance_end_ms=1000", tail=2.0)
    assert not [m for m in messages if m["type"] == "UtteranceEnd"]


@pytest.mark.parametrize(
    ("fault", "expected"),
    [("stream-no-utterance-end", 0), ("stream-utterance-end-early", 3)],
)
def test_utterance_end_faults(server: str, fault: str, expected: int) -> None:
    messages = _stream(server, "interim_results=true&utterance_end_ms=1000", fault, tail=2.0)
    assert sum(m["type"] == "UtteranceEnd" for m in messages) == expected


def test_speech_started_before_the_first_word(server: str) -> None:
    messages = _stream(server, "interim_results=true&vad_events=true")
    kinds = [m["type"] for m in messages]
    first_word = next(
        n
        for n, m in enumerate(messages)
        if m["type"] == "Results" and m["channel"]["alternatives"][0]["words"]
    )
    assert "SpeechStarted" in kinds[:first_word]
    stamps = [m["timestamp"] for m in messages if m["type"] == "SpeechStarted"]
    assert stamps[0] == pytest.approx(BURSTS[0][0], abs=0.05)
    assert len(stamps) == 3  # after the start and the 0.5 s and 1.2 s pauses


def test_speech_started_faults(server: str) -> None:
    query = "interim_results=true&vad_events=true"
    silent = _stream(server, query, "stream-no-speech-started")
    assert not [m for m in silent if m["type"] == "SpeechStarted"]
    late = _stream(server, query, "stream-speech-started-late")
    first = next(m for m in late if m["type"] == "SpeechStarted")
    assert first["timestamp"] == pytest.approx(BURSTS[0][1], abs=0.05)


def test_no_events_unless_asked(server: str) -> None:
    kinds = {m["type"] for m in _stream(server, "interim_results=true")}
    assert kinds == {"Results", "Metadata"}


def test_formatting_options_accepted_and_diarize_refused_under_its_fault(server: str) -> None:
    query = "diarize=true&smart_format=true&punctuate=true&redact=pci&numerals=true"
    assert _stream(server, query)[-1]["type"] == "Metadata"
    with pytest.raises(InvalidStatus) as refused:
        _stream(server, "diarize=true", "stream-diarize-refused")
    assert refused.value.response.status_code == 400


def test_unknown_message_fault_opens_with_a_welcome(server: str) -> None:
    assert (
        _stream(server, "interim_results=false", "stream-unknown-message")[0]["type"] == "Welcome"
    )
