"""Raw, headerless streaming audio made from the test clips: linear16 and mu-law, 8 or 16 kHz."""

from __future__ import annotations

import io
import wave
from dataclasses import dataclass, replace
from functools import cache

import numpy as np

from conformance.wire import audio

FRAME_SECONDS = 0.1
"""Audio per binary WebSocket frame the suite sends."""
CONTAINER = "container"
"""The encoding of a stream sent without `encoding`: a container that says its own format."""

_MULAW_BIAS = 0x84
_MULAW_CLIP = 32635


@dataclass(frozen=True)
class StreamAudio:
    """A clip as raw samples for a stream, with the query parameters that describe it."""

    name: str
    encoding: str
    sample_rate: int
    channels: int
    data: bytes
    seconds: float = 0.0
    """The audio's length when its bytes are compressed (FLAC, Ogg): pacing and cost follow
    it; 0 for raw samples, whose length the byte count gives."""

    @property
    def bytes_per_second(self) -> int:
        """Bytes of one second of this audio."""
        if self.seconds:
            return max(1, round(len(self.data) / self.seconds))
        width = 2 if self.encoding == "linear16" else 1
        return self.sample_rate * self.channels * width

    @property
    def duration(self) -> float:
        """Seconds of audio, to the microsecond."""
        return round(len(self.data) / self.bytes_per_second, 6)

    @property
    def params(self) -> tuple[tuple[str, str], ...]:
        """encoding, sample_rate and channels, as a target must be told for raw audio (none for
        a container, which says them itself)."""
        if self.encoding == CONTAINER:
            return ()
        return (
            ("encoding", self.encoding),
            ("sample_rate", str(self.sample_rate)),
            ("channels", str(self.channels)),
        )

    def frames(self, seconds: float = FRAME_SECONDS) -> list[bytes]:
        """The audio cut into frames of `seconds` each (the last may be shorter)."""
        block = 1 if self.seconds else self.channels * (2 if self.encoding == "linear16" else 1)
        size = max(block, round(self.bytes_per_second * seconds) // block * block)
        return [self.data[i : i + size] for i in range(0, len(self.data), size)]


def _samples(clip: audio.TestAudio) -> np.ndarray:
    """The clip's interleaved 16-bit samples, shaped (frames, channels)."""
    with wave.open(io.BytesIO(clip.wav)) as reader:
        raw = reader.readframes(reader.getnframes())
    return np.frombuffer(raw, dtype="<i2").reshape(-1, clip.channels)


def _halve_rate(samples: np.ndarray) -> np.ndarray:
    """16 kHz to 8 kHz: average each pair of samples (a crude low-pass, enough for speech)."""
    even = samples[: len(samples) // 2 * 2].astype(np.int32)
    return ((even[0::2] + even[1::2]) // 2).astype("<i2")


def mulaw_encode(samples: np.ndarray) -> bytes:
    """G.711 mu-law bytes of 16-bit samples."""
    value = samples.astype(np.int32).ravel()
    sign = np.where(value < 0, 0x80, 0)
    magnitude = np.minimum(np.abs(value), _MULAW_CLIP) + _MULAW_BIAS
    exponent = np.floor(np.log2(magnitude)).astype(np.int32) - 7
    mantissa = (magnitude >> (exponent + 3)) & 0x0F
    encoded: bytes = (~(sign | (exponent << 4) | mantissa) & 0xFF).astype(np.uint8).tobytes()
    return encoded


@cache
def stream_audio(clip: str, encoding: str = "linear16", sample_rate: int = 16_000) -> StreamAudio:
    """One of the test clips as raw linear16 or mulaw at 16 or 8 kHz."""
    source = audio.CLIPS[clip]()
    samples = _samples(source)
    if sample_rate == 8_000:
        samples = _halve_rate(samples)
    elif sample_rate != audio.SAMPLE_RATE:
        raise ValueError(f"test audio is made at 8000 or 16000 Hz, not {sample_rate}")
    if encoding == "linear16":
        data = samples.astype("<i2").tobytes()
    elif encoding == "mulaw":
        data = mulaw_encode(samples)
    else:
        raise ValueError(f"the suite cannot produce {encoding} audio")
    return StreamAudio(clip, encoding, sample_rate, source.channels, data)


@cache
def with_silence(audio: StreamAudio, seconds: float) -> StreamAudio:
    """Raw audio followed by `seconds` of digital silence (a pause a listener can time)."""
    width = audio.channels * (2 if audio.encoding == "linear16" else 1)
    frames = round(seconds * audio.sample_rate)
    quiet = b"\0" if audio.encoding == "linear16" else b"\xff"  # mu-law's zero is 0xFF
    return replace(audio, data=audio.data + quiet * (frames * width))
