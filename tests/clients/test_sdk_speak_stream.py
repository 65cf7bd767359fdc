"""The official Deepgram Python SDK's speak WebSocket client drives the reference server's
/v1/speak socket: Metadata first, audio and Flushed for a Flush, Cleared for a Clear, and a
normal close after Close; every message parses into the SDK's own models, strictly."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from runner import reference
from sdk_support import KEY, TIMING, environment, strict

deepgram = pytest.importorskip("deepgram", reason="deepgram-sdk is not installed (the test extra)")
from deepgram import AsyncDeepgramClient  # noqa: E402
from deepgram.speak.v1.types.speak_v1cleared import SpeakV1Cleared  # noqa: E402
from deepgram.speak.v1.types.speak_v1flushed import SpeakV1Flushed  # noqa: E402
from deepgram.speak.v1.types.speak_v1metadata import SpeakV1Metadata  # noqa: E402
from deepgram.speak.v1.types.speak_v1text import SpeakV1Text  # noqa: E402
from websockets.exceptions import ConnectionClosed  # noqa: E402

TEXT = "Hello from the SDK."


async def _until(socket: Any, kind: str, into: list[Any]) -> None:
    """Receive (each under a deadline) until a message of this type has come."""
    while True:
        message = await asyncio.wait_for(socket.recv(), TIMING.stream_message)
        into.append(message)
        if getattr(message, "type", None) == kind:
            return


async def _session(url: str) -> tuple[list[Any], int | None]:
    """Speak, Flush, Speak, Clear, Close through the SDK; every message and the close code."""
    client = AsyncDeepgramClient(api_key=KEY, environment=environment(url))
    messages: list[Any] = []
    async with client.speak.v1.connect(
        model="aura-asteria-en", encoding="linear16", sample_rate="24000"
    ) as socket:
        await socket.send_text(SpeakV1Text(type="Speak", text=TEXT))
        await socket.send_flush()
        await _until(socket, "Flushed", messages)
        await socket.send_text(SpeakV1Text(type="Speak", text=TEXT))
        await socket.send_clear()
        await _until(socket, "Cleared", messages)
        await socket.send_close()
        try:
            while True:
                messages.append(await asyncio.wait_for(socket.recv(), TIMING.stream_message))
        except ConnectionClosed as closed:
            return messages, closed.rcvd.code if closed.rcvd else None


def test_sdk_speaks_flushes_clears_and_closes() -> None:
    with reference(api_key=KEY) as url:
        messages, code = asyncio.run(asyncio.wait_for(_session(url), TIMING.request))
    assert strict(SpeakV1Metadata, messages[0]).model_name == "aura-asteria-en"
    audio = [m for m in messages if isinstance(m, bytes)]
    flushed = next(n for n, m in enumerate(messages) if getattr(m, "type", None) == "Flushed")
    assert audio and sum(map(len, audio)) % 2 == 0, "linear16 audio in whole samples"
    assert all(isinstance(m, bytes) for m in messages[1:flushed]), "the audio, then Flushed"
    assert strict(SpeakV1Flushed, messages[flushed]).sequence_id >= 0
    cleared = [m for m in messages if getattr(m, "type", None) == "Cleared"]
    # the SDK's union tries SpeakV1Flushed first, whose type also allows "Cleared"
    assert len(cleared) == 1
    assert SpeakV1Cleared.model_validate(cleared[0].model_dump(by_alias=True)).sequence_id >= 0
    assert not [m for m in messages[flushed + 1 :] if isinstance(m, bytes)], "cleared, unspoken"
    assert code == 1000
