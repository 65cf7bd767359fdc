"""Raw audio for the speak WebSocket: deterministic tones per character (as REST speak makes),
in the encodings and sample rates the AsyncAPI lists for it."""

from __future__ import annotations

import numpy as np

ENCODINGS = ("linear16", "mulaw", "alaw")
"""SpeakV1Encoding: the streaming-compatible encodings."""
RATES = (8000, 16000, 24000, 32000, 48000)
"""SpeakV1SampleRate."""
DEFAULT_RATES = {"linear16": 24000, "mulaw": 8000, "alaw": 8000}
"""The sample rate of each encoding when none is given ("8000 or 24000 are possible defaults")."""
SECONDS_PER_CHARACTER = 0.02
FRAME_SECONDS = 0.1
"""Audio per binary frame sent."""


def _tones(text: str, rate: int) -> np.ndarray:
    """Float samples in [-1, 1]: a tone per character, silence for white space."""
    per = max(1, round(rate * SECONDS_PER_CHARACTER))
    pitches = np.array([0 if c.isspace() else 200 + (ord(c) % 64) * 10 for c in text], float)
    t = np.arange(len(text) * per) / rate
    signal: np.ndarray = 0.3 * np.sin(2 * np.pi * np.repeat(pitches, per) * t)
    return signal


def _mulaw(samples: np.ndarray) -> bytes:
    """G.711 mu-law bytes of 16-bit samples."""
    value = samples.astype(np.int32)
    sign = np.where(value < 0, 0x80, 0)
    magnitude = np.minimum(np.abs(value), 32635) + 0x84
    exponent = np.floor(np.log2(magnitude)).astype(np.int32) - 7
    mantissa = (magnitude >> (exponent + 3)) & 0x0F
    encoded: bytes = (~(sign | (exponent << 4) | mantissa) & 0xFF).astype(np.uint8).tobytes()
    return encoded


def _alaw(samples: np.ndarray) -> bytes:
    """G.711 A-law bytes of 16-bit samples."""
    value = samples.astype(np.int32) >> 3
    sign = np.where(value >= 0, 0x80, 0)
    magnitude = np.minimum(np.where(value >= 0, value, -value - 1), 0xFFF)
    exponent = np.where(magnitude < 32, 0, np.floor(np.log2(np.maximum(magnitude, 1))) - 4)
    exponent = exponent.astype(np.int32)
    mantissa = np.where(exponent == 0, magnitude >> 1, magnitude >> exponent) & 0x0F
    encoded: bytes = ((sign | (exponent << 4) | mantissa) ^ 0x55).astype(np.uint8).tobytes()
    return encoded


def speech(text: str, encoding: str, rate: int) -> list[bytes]:
    """The text's audio in the encoding at the rate, cut into frames of FRAME_SECONDS."""
    samples = np.round(_tones(text, rate) * 32767).astype(np.int16)
    if encoding == "linear16":
        data, width = samples.astype("<i2").tobytes(), 2
    else:
        data, width = (_mulaw(samples) if encoding == "mulaw" else _alaw(samples)), 1
    size = max(width, round(rate * FRAME_SECONDS) * width)
    return [data[i : i + size] for i in range(0, len(data), size)]
