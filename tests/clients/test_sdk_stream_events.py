"""The official Deepgram Python SDK asks the reference server for the voice-agent controls
(endpointing in milliseconds, utterance_end_ms, vad_events) and parses what comes strictly."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from runner import reference
from sdk_support import KEY, TIMING, environment, strict

from conformance.wire.codecs import stream_audio, with_silence

deepgram = pytest.importorskip("deepgram", reason="deepgram-sdk is not installed (the test extra)")
from deepgram import AsyncDeepgramClient  # noqa: E402
from deepgram.listen.v1.types.listen_v1results import ListenV1Results  # noqa: E402
from deepgram.listen.v1.types.listen_v1speech_started import ListenV1SpeechStarted  # noqa: E402
from deepgram.listen.v1.types.listen_v1utterance_end import ListenV1UtteranceEnd  # noqa: E402
from websockets.exceptions import ConnectionClosed  # noqa: E402

CLIP = with_silence(stream_audio("mono", "linear16", 16_000), 2.0)
"""The mono clip and 2 s of silence, so its last words are followed by an utterance's end."""


async def _stream(url: str) -> list[Any]:
    """Streams the clip through the SDK's listen v1 socket with the voice-agent options; every
    message the SDK handed over until the server closed."""
    client = AsyncDeepgramClient(api_key=KEY, environment=environment(url))
    async with client.listen.v1.connect(
        model="nova-3",
        encoding="linear16",
        sample_rate=CLIP.sample_rate,
        channels=CLIP.channels,
        interim_results="true",
        endpointing=300,
        utterance_end_ms=1000,
        vad_events="true",
    ) as socket:
        for frame in CLIP.frames():
            await socket.send_media(frame)
        await socket.send_close_stream()
        messages: list[Any] = []
        while True:
            try:
                messages.append(await asyncio.wait_for(socket.recv(), TIMING.stream_message))
            except ConnectionClosed:
                return messages


def test_sdk_parses_utterance_end_and_speech_started() -> None:
    with reference(api_key=KEY) as url:
        messages = asyncio.run(asyncio.wait_for(_stream(url), TIMING.request))
    started = [strict(ListenV1SpeechStarted, m) for m in messages if m.type == "SpeechStarted"]
    ended = [strict(ListenV1UtteranceEnd, m) for m in messages if m.type == "UtteranceEnd"]
    assert started and started[0].channel == [0, 1]
    assert ended and ended[-1].last_word_end > started[-1].timestamp
    endpoints = [m for m in messages if isinstance(m, ListenV1Results) and m.speech_final]
    assert len(endpoints) >= 2, "endpointing=300 ends the clip's 0.5 s and 1.2 s pauses"
