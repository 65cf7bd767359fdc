"""Deterministic test audio: speech-like bursts separated by silences, so any target can hear it."""

from __future__ import annotations

import io
import math
import wave
from dataclasses import dataclass
from functools import cache

import numpy as np

SAMPLE_RATE = 16_000
"""Every generated clip is 16 kHz, 16-bit linear PCM."""

Burst = tuple[float, float]
"""A voiced region: (start, end) in seconds."""

# Each layout alternates burst and silence lengths (seconds), starting and ending with silence.
# The silences were chosen so utterance splitting has gaps both under and over common utt_split
# values: 0.15 and 0.2 s inside phrases, 0.5 s between phrases, 1.2 s between sentences.
_LAYOUT_A = (
    0.30,
    0.35,
    0.15,
    0.30,
    0.20,
    0.40,
    0.50,
    0.30,
    0.15,
    0.35,
    1.20,
    0.40,
    0.20,
    0.30,
    0.15,
    0.35,
    0.30,
)
_LAYOUT_B = (
    0.60,
    0.40,
    0.20,
    0.35,
    0.90,
    0.30,
    0.15,
    0.45,
    0.50,
    0.35,
    0.20,
    0.30,
    1.00,
    0.40,
    0.30,
)
_LAYOUT_PHRASE = (0.20, 0.40, 0.15, 0.35, 0.20)
"""One phrase of two bursts (1.3 s): for requests that need only a valid body."""


@dataclass(frozen=True)
class TestAudio:
    """A generated WAV clip and the ground truth the suite may rely on (never words)."""

    __test__ = False  # not a pytest test class

    name: str
    wav: bytes
    channels: int
    sample_rate: int
    duration: float
    bursts: tuple[tuple[Burst, ...], ...]
    """Voiced regions per channel."""

    @property
    def content_type(self) -> str:
        """The MIME type the clip is sent with."""
        return "audio/wav"


def _bursts(layout: tuple[float, ...]) -> tuple[Burst, ...]:
    """Turn an alternating silence/burst layout into burst intervals."""
    out: list[Burst] = []
    t = 0.0
    for index, length in enumerate(layout):
        if index % 2 == 1:
            out.append((round(t, 4), round(t + length, 4)))
        t += length
    return tuple(out)


def _voice(n_samples: int, f0: float, phase_seed: int) -> np.ndarray:
    """A vowel-like tone: a few harmonics under a raised-cosine envelope with slight vibrato."""
    t = np.arange(n_samples) / SAMPLE_RATE
    vibrato = 1.0 + 0.02 * np.sin(2 * math.pi * 5.0 * t + phase_seed)
    phase = 2 * math.pi * f0 * np.cumsum(vibrato) / SAMPLE_RATE
    tone = sum(np.sin(k * phase) / k for k in (1, 2, 3, 4, 5))
    envelope = 0.5 - 0.5 * np.cos(2 * math.pi * np.arange(n_samples) / max(n_samples - 1, 1))
    return np.asarray(tone * envelope, dtype=np.float64)


def _channel(layout: tuple[float, ...], f0: float) -> np.ndarray:
    """Render one channel of bursts and silences."""
    total = round(sum(layout) * SAMPLE_RATE)
    signal = np.zeros(total, dtype=np.float64)
    for index, (start, end) in enumerate(_bursts(layout)):
        a, b = round(start * SAMPLE_RATE), round(end * SAMPLE_RATE)
        signal[a:b] = 0.45 * _voice(b - a, f0 * (1.0 + 0.06 * (index % 3)), index)
    return signal


def _encode(channels: list[np.ndarray]) -> bytes:
    """Interleave channels into a 16-bit WAV file."""
    frames = np.stack(channels, axis=1)
    pcm = np.clip(frames * 32767.0, -32768, 32767).astype("<i2").tobytes()
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(len(channels))
        out.setsampwidth(2)
        out.setframerate(SAMPLE_RATE)
        out.writeframes(pcm)
    return buffer.getvalue()


@cache
def mono() -> TestAudio:
    """About 5 s of one speaker: three phrases separated by 0.5 s and 1.2 s silences."""
    return TestAudio(
        name="mono",
        wav=_encode([_channel(_LAYOUT_A, 140.0)]),
        channels=1,
        sample_rate=SAMPLE_RATE,
        duration=round(sum(_LAYOUT_A), 6),
        bursts=(_bursts(_LAYOUT_A),),
    )


@cache
def phrase() -> TestAudio:
    """1.3 s of one speaker, one phrase: the body of every request that needs only valid audio,
    so a metered target bills a fifth of mono() for it."""
    return TestAudio(
        name="phrase",
        wav=_encode([_channel(_LAYOUT_PHRASE, 140.0)]),
        channels=1,
        sample_rate=SAMPLE_RATE,
        duration=round(sum(_LAYOUT_PHRASE), 6),
        bursts=(_bursts(_LAYOUT_PHRASE),),
    )


@cache
def stereo() -> TestAudio:
    """Two channels with different burst patterns, padded to the same length."""
    length = max(sum(_LAYOUT_A), sum(_LAYOUT_B))
    layout_b = (*_LAYOUT_B[:-1], _LAYOUT_B[-1] + length - sum(_LAYOUT_B))
    layout_a = (*_LAYOUT_A[:-1], _LAYOUT_A[-1] + length - sum(_LAYOUT_A))
    return TestAudio(
        name="stereo",
        wav=_encode([_channel(layout_a, 140.0), _channel(layout_b, 210.0)]),
        channels=2,
        sample_rate=SAMPLE_RATE,
        duration=round(length, 6),
        bursts=(_bursts(layout_a), _bursts(layout_b)),
    )


def at_8khz(clip: TestAudio) -> bytes:
    """The clip as an 8 kHz WAV (every other frame): a second WAV format as common as 16 kHz."""
    with wave.open(io.BytesIO(clip.wav)) as source:
        frames = np.frombuffer(source.readframes(source.getnframes()), dtype="<i2")
    out = io.BytesIO()
    with wave.open(out, "wb") as sink:
        sink.setnchannels(clip.channels)
        sink.setsampwidth(2)
        sink.setframerate(clip.sample_rate // 2)
        sink.writeframes(frames.reshape(-1, clip.channels)[::2].tobytes())
    return out.getvalue()


CLIPS = {"mono": mono, "stereo": stereo, "phrase": phrase}
"""Every clip by name, for the audio server and for reproducers."""
