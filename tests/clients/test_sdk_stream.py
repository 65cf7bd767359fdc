"""The official Deepgram Python SDK streams to the reference server over its WebSocket client:
every message must parse into the SDK's own models, strictly."""

from __future__ import annotations

import asyncio
import hashlib
from typing import Any, get_args

import pytest
from runner import reference
from sdk_support import KEY, TIMING, environment, strict

from conformance.wire.codecs import stream_audio

deepgram = pytest.importorskip("deepgram", reason="deepgram-sdk is not installed (the test extra)")
from deepgram import AsyncDeepgramClient  # noqa: E402
from deepgram.listen.v1.socket_client import V1SocketClientResponse  # noqa: E402
from deepgram.listen.v1.types.listen_v1metadata import ListenV1Metadata  # noqa: E402
from deepgram.listen.v1.types.listen_v1results import ListenV1Results  # noqa: E402
from websockets.exceptions import ConnectionClosed  # noqa: E402

CLIP = stream_audio("mono", "linear16", 16_000)
SDK_MESSAGES = get_args(V1SocketClientResponse)
"""The server messages the SDK models; it hands anything else over as a dict or bytes."""


async def _receive_until_closed(socket: Any) -> tuple[list[Any], ConnectionClosed]:
    """Every message the SDK parsed, each awaited under a deadline, and how the stream closed."""
    messages: list[Any] = []
    while True:
        try:
            messages.append(await asyncio.wait_for(socket.recv(), TIMING.stream_message))
        except ConnectionClosed as closed:
            return messages, closed


async def _stream(url: str, **options: str) -> tuple[list[Any], ConnectionClosed]:
    """Streams the clip through the SDK's listen v1 socket, then ends it with CloseStream."""
    client = AsyncDeepgramClient(api_key=KEY, environment=environment(url))
    async with client.listen.v1.connect(
        model="nova-3",
        encoding="linear16",
        sample_rate=CLIP.sample_rate,
        channels=CLIP.channels,
        **options,
    ) as socket:
        receiving = asyncio.create_task(_receive_until_closed(socket))
        for frame in CLIP.frames():
            await socket.send_media(frame)
        await socket.send_close_stream()
        return await asyncio.wait_for(receiving, TIMING.stream_end)


def test_sdk_streams_and_closes_with_close_stream() -> None:
    with reference(api_key=KEY) as url:
        messages, closed = asyncio.run(asyncio.wait_for(_stream(url), TIMING.request))
    unparsed = [m for m in messages if not isinstance(m, SDK_MESSAGES)]
    assert not unparsed, f"the SDK could not parse {unparsed!r}"
    parsed = [strict(type(message), message) for message in messages]
    finals = [m for m in parsed if isinstance(m, ListenV1Results) and m.is_final]
    assert finals, f"no final Results among {len(parsed)} messages"
    metadata = parsed[-1]
    assert isinstance(metadata, ListenV1Metadata), f"the last message is {metadata!r}"
    assert not any(isinstance(m, ListenV1Metadata) for m in parsed[:-1])
    assert metadata.sha256 == hashlib.sha256(CLIP.data).hexdigest()
    assert metadata.duration == pytest.approx(CLIP.duration, abs=0.05)
    assert closed.rcvd is not None and closed.rcvd.code == 1000, f"the stream ended: {closed}"


def test_sdk_parses_code_switching_results() -> None:
    with reference(api_key=KEY) as url:
        messages, _ = asyncio.run(asyncio.wait_for(_stream(url, language="multi"), TIMING.request))
    finals = [
        strict(ListenV1Results, m)
        for m in messages
        if isinstance(m, ListenV1Results) and m.is_final
    ]
    alternatives = [a for m in finals for a in m.channel.alternatives if a.words]
    assert alternatives, f"no words in {len(finals)} final Results"
    for alternative in alternatives:
        spoken = {word.language for word in alternative.words}
        assert None not in spoken and set(alternative.languages or ()) == spoken
