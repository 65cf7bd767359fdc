"""The reference server's WebSocket /v1/listen, driven directly with a WebSocket client."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from conformance.reference.app import create_app
from conformance.reference.model.audio import decode_wav
from conformance.reference.model.settings import DEFAULT_API_KEY, Settings
from conformance.reference.model.vad import voiced_regions
from conformance.reference.serving import running
from conformance.reference.streaming.audio import OnlineVad
from conformance.wire import audio
from conformance.wire.codecs import stream_audio

AUTH = {"Authorization": f"Token {DEFAULT_API_KEY}"}
RAW = "encoding=linear16&sample_rate=16000&channels=1"


@pytest.fixture(scope="module")
def ws_base() -> Iterator[str]:
    with running(create_app(Settings(stream_idle_timeout=0.3))) as url:
        yield url.replace("http://", "ws://") + "/v1/listen"


async def _session(url: str, frames: list[bytes | str], **kwargs: Any) -> tuple[list[Any], int]:
    """Send frames, collect every message until the server closes; (messages, close code)."""
    async with connect(url, **kwargs) as ws:
        for frame in frames:
            await ws.send(frame)
        messages = []
        with contextlib.suppress(ConnectionClosed):
            async for message in ws:
                messages.append(json.loads(message))
        assert ws.close_code is not None
        return messages, ws.close_code


def test_online_vad_finds_the_batch_regions() -> None:
    signal = decode_wav(audio.mono().wav).channel(0)
    vad = OnlineVad(16_000)
    found = []
    for start in range(0, len(signal), 1_600):
        found += vad.feed(signal[start : start + 1_600])
    found += vad.flush()
    batch = voiced_regions(signal, 16_000)
    assert [(r.start, r.end) for r in found] == [(r.start, r.end) for r in batch]


def test_results_then_one_metadata_then_1000(ws_base: str) -> None:
    raw = stream_audio("mono")
    frames: list[bytes | str] = [*raw.frames(), json.dumps({"type": "CloseStream"})]
    messages, code = asyncio.run(_session(f"{ws_base}?{RAW}", frames, additional_headers=AUTH))
    assert code == 1000
    assert [m["type"] for m in messages][-1] == "Metadata"
    assert sum(m["type"] == "Metadata" for m in messages) == 1
    finals = [m for m in messages if m["type"] == "Results"]
    assert finals and all(m["is_final"] for m in finals)
    last = finals[-1]
    assert last["start"] + last["duration"] == pytest.approx(raw.duration)
    assert messages[-1]["duration"] == pytest.approx(raw.duration)


def test_subprotocol_credentials_are_echoed(ws_base: str) -> None:
    async def scenario() -> str | None:
        async with connect(f"{ws_base}?{RAW}", subprotocols=["token", DEFAULT_API_KEY]) as ws:
            return ws.subprotocol

    assert asyncio.run(scenario()) == "token"


@pytest.mark.parametrize(
    ("query", "headers", "status"),
    [
        (RAW, {}, 401),
        (RAW, {"Authorization": "Token wrong"}, 401),
        ("encoding=linear16", AUTH, 400),
        ("encoding=amr-nb&sample_rate=16000", AUTH, 400),
        (f"{RAW}&callback=http://example.com:9000/x", AUTH, 400),
        (f"{RAW}&callback=ws://example.com:0/x", AUTH, 400),
    ],
)
def test_refusals_are_http_errors(
    ws_base: str, query: str, headers: dict[str, str], status: int
) -> None:
    with pytest.raises(InvalidStatus) as refused:
        asyncio.run(_session(f"{ws_base}?{query}", [], additional_headers=headers))
    assert refused.value.response.status_code == status
    assert "err_code" in json.loads(refused.value.response.body or b"{}")


@pytest.mark.parametrize(
    ("encoding", "rate", "channels", "size", "seconds"),
    [
        ("alaw", 8_000, 1, 4_000, 0.5),
        ("linear32", 16_000, 2, 64_000, 0.5),
        ("g729", 8_000, 1, 1_500, 1.5),
        ("opus", 48_000, 1, 4_000, 0.0),
    ],
)
def test_metadata_duration_of_undecoded_audio_follows_the_byte_count(
    ws_base: str, encoding: str, rate: int, channels: int, size: int, seconds: float
) -> None:
    query = f"encoding={encoding}&sample_rate={rate}&channels={channels}"
    messages, code = asyncio.run(
        _session(f"{ws_base}?{query}", [bytes(size), b""], additional_headers=AUTH)
    )
    assert code == 1000 and messages[-1]["type"] == "Metadata"
    assert messages[-1]["duration"] == pytest.approx(seconds)


def test_auth_403_fault_refuses_bad_credentials_with_403() -> None:
    with running(create_app(Settings(faults=frozenset({"stream-auth-403"})))) as url:
        base = url.replace("http://", "ws://") + "/v1/listen?" + RAW
        with pytest.raises(InvalidStatus) as refused:
            asyncio.run(_session(base, [], additional_headers={"Authorization": "Token wrong"}))
    assert refused.value.response.status_code == 403


def test_idle_stream_ends_incomplete_with_1011(ws_base: str) -> None:
    messages, code = asyncio.run(
        _session(f"{ws_base}?{RAW}", [stream_audio("mono").frames()[0]], additional_headers=AUTH)
    )
    assert code == 1011
    assert messages[-1]["type"] == "Metadata" and messages[-1]["sha256"] == "incomplete"


def test_finalize_flushes_and_stream_stays_open(ws_base: str) -> None:
    async def scenario() -> dict[str, Any]:
        async with connect(f"{ws_base}?{RAW}", additional_headers=AUTH) as ws:
            for frame in stream_audio("mono").frames()[:3]:
                await ws.send(frame)
            await ws.send(json.dumps({"type": "Finalize"}))
            while True:
                message: dict[str, Any] = json.loads(await ws.recv())
                if message.get("from_finalize"):
                    await ws.send(b"")
                    return message

    flushed = asyncio.run(scenario())
    assert flushed["is_final"] and flushed["start"] + flushed["duration"] == pytest.approx(0.3)


def test_mulaw_stereo_multichannel_gets_both_channels(ws_base: str) -> None:
    raw = stream_audio("stereo", "mulaw", 8_000)
    query = "encoding=mulaw&sample_rate=8000&channels=2&multichannel=true"
    messages, _ = asyncio.run(
        _session(f"{ws_base}?{query}", [*raw.frames(), b""], additional_headers=AUTH)
    )
    indexes = {tuple(m["channel_index"]) for m in messages if m["type"] == "Results"}
    assert indexes == {(0, 2), (1, 2)}
    assert messages[-1]["channels"] == 2


def test_many_concurrent_streams_finish() -> None:
    with running(create_app(Settings())) as url:
        base = url.replace("http://", "ws://") + "/v1/listen?" + RAW
        frames: list[bytes | str] = [*stream_audio("mono").frames(), b""]

        async def many() -> list[tuple[list[Any], int]]:
            return await asyncio.gather(
                *(_session(base, frames, additional_headers=AUTH) for _ in range(40))
            )

        done = asyncio.run(many())
    assert all(code == 1000 and messages[-1]["type"] == "Metadata" for messages, code in done)
    assert len({messages[-1]["request_id"] for messages, _ in done}) == 40


def test_silence_has_no_words() -> None:
    vad = OnlineVad(8_000)
    assert vad.feed(np.zeros(8_000, dtype=np.float32)) == [] and vad.flush() == []


@pytest.mark.parametrize("clip", ["mono", "stereo"])
def test_a_wav_file_streamed_without_encoding_is_transcribed(ws_base: str, clip: str) -> None:
    wav = audio.mono().wav if clip == "mono" else audio.stereo().wav
    frames: list[bytes | str] = [wav[i : i + 3_200] for i in range(0, len(wav), 3_200)]
    frames.append(json.dumps({"type": "CloseStream"}))
    messages, code = asyncio.run(_session(ws_base, frames, additional_headers=AUTH))
    assert code == 1000
    metadata = messages[-1]
    assert metadata["type"] == "Metadata"
    assert metadata["channels"] == (1 if clip == "mono" else 2)
    expected = len(decode_wav(wav).channel(0)) / 16_000
    assert metadata["duration"] == pytest.approx(expected, abs=0.001)
    words = [
        w
        for m in messages
        if m["type"] == "Results"
        for w in m["channel"]["alternatives"][0]["words"]
    ]
    assert words, "the WAV's voiced bursts became words"


def test_unreadable_container_audio_is_hashed_and_ends_cleanly(ws_base: str) -> None:
    frames: list[bytes | str] = [b"OggS" + bytes(4_000), json.dumps({"type": "CloseStream"})]
    messages, code = asyncio.run(_session(ws_base, frames, additional_headers=AUTH))
    assert code == 1000
    assert [m["type"] for m in messages] == ["Metadata"]
    assert messages[0]["duration"] == 0.0
