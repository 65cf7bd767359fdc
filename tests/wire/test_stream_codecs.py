"""The suite's streaming audio: raw linear16 and mu-law at 8 and 16 kHz, cut into frames."""

from __future__ import annotations

import numpy as np
import pytest

from conformance.reference.streaming.audio import Decoder
from conformance.wire import audio
from conformance.wire.codecs import FRAME_SECONDS, mulaw_encode, stream_audio


@pytest.mark.parametrize("encoding", ["linear16", "mulaw"])
@pytest.mark.parametrize("rate", [8_000, 16_000])
@pytest.mark.parametrize("clip", ["mono", "stereo"])
def test_stream_audio_keeps_duration_and_channels(encoding: str, rate: int, clip: str) -> None:
    source = audio.CLIPS[clip]()
    raw = stream_audio(clip, encoding, rate)
    assert raw.channels == source.channels
    assert abs(raw.duration - source.duration) < 0.001
    assert dict(raw.params) == {
        "encoding": encoding,
        "sample_rate": str(rate),
        "channels": str(source.channels),
    }
    frames = raw.frames()
    assert b"".join(frames) == raw.data
    assert all(len(f) == round(raw.bytes_per_second * FRAME_SECONDS) for f in frames[:-1])


def test_mulaw_known_code_words() -> None:
    assert mulaw_encode(np.array([0, -1, 32767, -32768], dtype=np.int16)) == bytes(
        [0xFF, 0x7F, 0x80, 0x00]
    )


def test_mulaw_round_trip_is_close() -> None:
    samples = np.linspace(-32000, 32000, 2001).astype(np.int16)
    decoded = Decoder("mulaw", 1).feed(mulaw_encode(samples))[:, 0] * 32768.0
    error = np.abs(decoded - samples)
    assert np.all(error <= np.maximum(np.abs(samples) / 16, 8))


def test_decoder_carries_a_split_sample() -> None:
    data = np.array([1000, -2000, 3000], dtype="<i2").tobytes()
    decoder = Decoder("linear16", 1)
    first = decoder.feed(data[:3])
    second = decoder.feed(data[3:])
    joined = np.concatenate([first[:, 0], second[:, 0]]) * 32768.0
    assert joined.tolist() == [1000.0, -2000.0, 3000.0]


def test_unproducible_codecs_are_refused() -> None:
    with pytest.raises(ValueError, match="cannot produce"):
        stream_audio("mono", "opus")
