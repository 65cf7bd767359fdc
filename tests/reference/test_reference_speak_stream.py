"""The reference server's WebSocket /v1/speak, driven directly: Metadata, audio in the asked
encoding, Flushed, Cleared, Close, the flush limit, bad input and each fault switch."""

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
from conformance.reference.streaming.speaking import FLUSH_LIMIT
from conformance.reference.streaming.speech import SECONDS_PER_CHARACTER
from conformance.reference.tenants import create_tenants

AUTH = {"Authorization": f"Token {DEFAULT_API_KEY}"}
TEXT = "Hello there."
Frame = str | bytes | dict[str, Any]


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    with running(create_tenants(Settings(stream_idle_timeout=1.0))) as url:
        yield url.replace("http://", "ws://")


def _session(
    base: str, frames: list[Frame], query: str = "", fault: str | None = None, **kwargs: Any
) -> tuple[list[Any], int | None]:
    """Send the frames (dicts as JSON), collect until the server closes: messages (audio as
    bytes, the rest parsed) and the close code."""
    prefix = f"/fault/{fault}" if fault else ""
    kwargs.setdefault("additional_headers", AUTH)

    async def scenario() -> tuple[list[Any], int | None]:
        async with connect(f"{base}{prefix}/v1/speak?{query}", **kwargs) as ws:
            for frame in frames:
                await ws.send(json.dumps(frame) if isinstance(frame, dict) else frame)
            received: list[Any] = []
            with contextlib.suppress(ConnectionClosed):
                async for message in ws:
                    received.append(message if isinstance(message, bytes) else json.loads(message))
            return received, ws.close_code

    return asyncio.run(scenario())


def _kinds(messages: list[Any]) -> list[str]:
    """Each message's type, "audio" for a binary frame, consecutive audio merged."""
    kinds: list[str] = []
    for m in messages:
        kind = "audio" if isinstance(m, bytes) else m["type"]
        if not (kind == "audio" and kinds and kinds[-1] == "audio"):
            kinds.append(kind)
    return kinds


SPEAK = {"type": "Speak", "text": TEXT}
FLUSH, CLEAR, CLOSE = ({"type": t} for t in ("Flush", "Clear", "Close"))


def test_metadata_audio_flushed_then_1000(server: str) -> None:
    messages, code = _session(server, [SPEAK, FLUSH, CLOSE])
    assert _kinds(messages) == ["Metadata", "audio", "Flushed"] and code == 1000
    assert messages[0]["model_name"] == "aura-asteria-en"
    audio = b"".join(m for m in messages if isinstance(m, bytes))
    assert len(audio) == 2 * round(24_000 * SECONDS_PER_CHARACTER) * len(TEXT)


@pytest.mark.parametrize(("encoding", "rate", "width"), [("mulaw", 8000, 1), ("alaw", 16000, 1)])
def test_companded_encodings(server: str, encoding: str, rate: int, width: int) -> None:
    query = f"encoding={encoding}&sample_rate={rate}"
    messages, _ = _session(server, [SPEAK, FLUSH, CLOSE], query)
    audio = b"".join(m for m in messages if isinstance(m, bytes))
    assert len(audio) == width * round(rate * SECONDS_PER_CHARACTER) * len(TEXT)


def test_clear_drops_the_text_and_close_speaks_the_rest(server: str) -> None:
    messages, _ = _session(server, [SPEAK, CLEAR, FLUSH, SPEAK, CLOSE])
    assert _kinds(messages) == ["Metadata", "Cleared", "Flushed", "audio"]
    assert [m["sequence_id"] for m in messages if isinstance(m, dict) and "sequence_id" in m] == [
        0,
        1,
    ]


def test_flush_limit_warns(server: str) -> None:
    messages, _ = _session(server, [*[SPEAK, FLUSH] * (FLUSH_LIMIT + 1), CLOSE])
    kinds = [m["type"] for m in messages if isinstance(m, dict)]
    assert kinds.count("Flushed") == FLUSH_LIMIT and kinds[-1] == "Warning"


@pytest.mark.parametrize(
    ("frame", "expected"),
    [("not json", (["Metadata", "Warning"], 1011)), (b"\x00\x01", (["Metadata"], 1003))],
)
def test_bad_input_is_answered(server: str, frame: Frame, expected: tuple[list[str], int]) -> None:
    messages, code = _session(server, [frame])
    assert (_kinds(messages), code) == expected  # 1011: the idle timeout after the Warning


def test_refusals(server: str) -> None:
    for kwargs in (
        {"additional_headers": {}},
        {"additional_headers": {"Authorization": "Token x"}},
    ):
        with pytest.raises(InvalidStatus) as refused:
            _session(server, [], **kwargs)
        assert refused.value.response.status_code == 401
    with pytest.raises(InvalidStatus) as bad:
        _session(server, [], "encoding=opus")
    assert bad.value.response.status_code == 400


@pytest.mark.parametrize(
    ("fault", "frames", "kinds", "code"),
    [
        ("speak-stream-no-metadata", [SPEAK, FLUSH, CLOSE], ["audio", "Flushed"], 1000),
        ("speak-stream-no-audio", [SPEAK, FLUSH, CLOSE], ["Metadata", "Flushed"], 1000),
        ("speak-stream-no-flushed", [SPEAK, FLUSH, CLOSE], ["Metadata", "audio"], 1000),
        ("speak-stream-no-cleared", [SPEAK, CLEAR, CLOSE], ["Metadata"], 1000),
        (
            "speak-stream-clear-keeps-text",
            [SPEAK, CLEAR, CLOSE],
            ["Metadata", "Cleared", "audio"],
            1000,
        ),
        ("speak-stream-close-1011", [CLOSE], ["Metadata"], 1011),
        ("speak-stream-close-drops", [SPEAK, CLOSE], ["Metadata"], 1000),
        ("speak-stream-bad-input-ignored", [b"\x00", "x", CLOSE], ["Metadata"], 1000),
    ],
)
def test_faults(server: str, fault: str, frames: list[Frame], kinds: list[str], code: int) -> None:
    messages, closed = _session(server, frames, fault=fault)
    assert (_kinds(messages), closed) == (kinds, code)


def test_fault_refusing_and_admitting(server: str) -> None:
    with pytest.raises(InvalidStatus):
        _session(server, [], fault="speak-stream-refused")
    messages, _ = _session(server, [CLOSE], fault="speak-stream-no-auth", additional_headers={})
    assert _kinds(messages) == ["Metadata"]
    flushes = [*[SPEAK, FLUSH] * (FLUSH_LIMIT + 1), CLOSE]
    unlimited, _ = _session(server, flushes, fault="speak-stream-flush-unlimited")
    assert "Warning" not in _kinds(unlimited)
