"""Streaming audio, incrementally: raw frames decoded as they come, voiced regions found on line.

Each call does work proportional to the new audio only, so hundreds of streams fit one process.
"""

from __future__ import annotations

import struct

import numpy as np
from zlib_ng import zlib_ng  # zlib's CRC-32, faster (as vad.py uses it)

from ..model.audio import Samples
from ..model.vad import FRAME_SECONDS, MIN_GAP, MIN_REGION, THRESHOLD, Region

DECODABLE = frozenset({"linear16", "mulaw"})
"""Encodings whose samples this server reads; others are accepted, hashed and counted only."""
COMPRESSED = frozenset({"flac", "opus"})
"""Encodings kept whole and decoded by libsndfile when the upload ends (FLAC, Ogg Opus)."""
CODED_WIDTHS = {"linear32": 4.0, "alaw": 1.0, "g729": 0.125}
"""Bytes per sample of the fixed-rate encodings this server does not decode (G.729: 8 kbit/s at
8000 Hz), so their duration follows from the byte count; the others' (flac, opus, speex, AMR)
cannot."""
WAV_HEADER_MOST = 4096
"""Bytes at the start of a stream without `encoding` searched for a WAV header; a stream whose
header is not found by then is hashed and counted only."""


def _mulaw_table() -> Samples:
    """The 256 G.711 mu-law code words as float32 samples in [-1, 1]."""
    code = ~np.arange(256, dtype=np.int32) & 0xFF
    exponent = (code >> 4) & 0x07
    mantissa = code & 0x0F
    magnitude = (((mantissa << 3) + 0x84) << exponent) - 0x84
    value = np.where(code & 0x80, -magnitude, magnitude)
    table: Samples = (value / 32768.0).astype(np.float32)
    return table


_MULAW = _mulaw_table()


def wav_format(head: bytes) -> tuple[int, int, int] | None:
    """(sample_rate, channels, offset of the samples) once `head` holds a 16-bit PCM WAV header
    up to its data chunk; None until then (or for any other container)."""
    if head[:4] != b"RIFF" or head[8:12] != b"WAVE":
        return None
    position, found = 12, None
    while position + 8 <= len(head):
        chunk = head[position : position + 4]
        size = int.from_bytes(head[position + 4 : position + 8], "little")
        body = position + 8
        if chunk == b"fmt " and body + 16 <= len(head):
            tag, channels, rate = struct.unpack_from("<HHI", head, body)
            (bits,) = struct.unpack_from("<H", head, body + 14)
            found = (rate, channels) if tag in (1, 0xFFFE) and bits == 16 and rate else None
        elif chunk == b"data":
            return (*found, body) if found else None
        position = body + size + (size & 1)
    return None


def may_be_wav(head: bytes) -> bool:
    """Whether the stream's first bytes may still turn out to be a readable WAV header."""
    return len(head) < WAV_HEADER_MOST and (
        b"RIFF".startswith(head[:4]) and (len(head) < 12 or head[8:12] == b"WAVE")
    )


class Decoder:
    """Raw bytes to (frames, channels) float32 samples, carrying a split sample to the next call."""

    def __init__(self, encoding: str, channels: int) -> None:
        self.encoding = encoding
        self.channels = channels
        self._block = (2 if encoding == "linear16" else 1) * channels
        """Bytes per sample frame (every channel's sample)."""
        self._carry = b""

    def feed(self, data: bytes) -> Samples:
        """The whole sample frames in carry + data (the rest waits for the next call)."""
        if self._carry:
            data = self._carry + data
        usable = len(data) - len(data) % self._block
        self._carry = data[usable:]
        payload = memoryview(data)[:usable]  # no copy: the samples are converted just below
        if self.encoding == "linear16":
            flat = np.frombuffer(payload, dtype="<i2").astype(np.float32)
            flat /= 32768.0
        else:
            flat = _MULAW[np.frombuffer(payload, dtype=np.uint8)]
        return flat.reshape(-1, self.channels)


class OnlineVad:
    """vad.voiced_regions, one chunk at a time: regions are reported once they have ended."""

    def __init__(self, rate: int) -> None:
        self.rate = rate
        self._size = max(1, round(rate * FRAME_SECONDS))
        self._gap = round(MIN_GAP * rate)
        self._ending = -(-self._gap // self._size)
        """Silent frames after its last voiced one that end a region (MIN_GAP, rounded up)."""
        self._min_region = MIN_REGION * rate
        self._carry = np.zeros(0, dtype=np.float32)
        self._frames = 0
        """Complete frames processed so far."""
        self._first: int | None = None
        """First frame of the open region, if one is open."""
        self._last = 0
        """Frame after the open region's last voiced frame."""
        self._crc = 0
        self._pending: list[bytes] = []
        """Silent frames after the open region, kept in case voice resumes within MIN_GAP."""
        self._count = 0

    @property
    def processed(self) -> float:
        """Seconds of audio analysed (whole frames); regions never end after this."""
        return self._frames * self._size / self.rate

    @property
    def opened(self) -> float | None:
        """Where the open region began, in seconds; None while no region is open."""
        return None if self._first is None else round(self._first * self._size / self.rate, 3)

    @property
    def silence(self) -> float:
        """Seconds analysed since the last voiced frame (all of them before any voice)."""
        return self.processed - self._last * self._size / self.rate

    @property
    def silent(self) -> bool:
        """Whether no region is open, so a window may end here without cutting a word."""
        return self._first is None

    def feed(self, signal: Samples) -> list[Region]:
        """Analyse new samples; the regions that ended within them."""
        data = np.concatenate((self._carry, signal)) if len(self._carry) else signal
        whole = len(data) // self._size
        self._carry = data[whole * self._size :]
        if whole == 0:
            return []
        frames = data[: whole * self._size].reshape(whole, self._size)
        power = np.square(frames, dtype=np.float32).sum(axis=1) / np.float32(self._size)
        voiced = (np.sqrt(power) > THRESHOLD).tolist()
        ended: list[Region] = []
        a = 0
        for b in range(1, whole + 1):
            if b < whole and voiced[b] == voiced[a]:
                continue
            if voiced[a]:
                self._voiced(self._frames + a, frames[a:b].tobytes(), b - a)
            elif self._first is not None:
                ended += self._silence(self._frames + a, frames[a:b])
            a = b
        self._frames += whole
        return ended

    def _voiced(self, number: int, run: bytes, count: int) -> None:
        """A run of voiced frames: open a region or extend it over the silence since its last."""
        if self._first is None:
            self._first, self._crc = number, zlib_ng.crc32(self._count.to_bytes(4, "little"))
        for gap in self._pending:
            self._crc = zlib_ng.crc32(gap, self._crc)
        self._pending.clear()
        self._crc = zlib_ng.crc32(run, self._crc)
        self._last = number + count

    def _silence(self, number: int, run: Samples) -> list[Region]:
        """A run of silent frames after an open region: it ends once MIN_GAP has passed."""
        closing = max(number, self._last - 1 + self._ending)
        if closing < number + len(run):
            return self._close()
        self._pending.append(run.tobytes())
        return []

    def flush(self) -> list[Region]:
        """End the open region where the analysed audio ends (Finalize, shutdown, a forced cut)."""
        return self._close() if self._first is not None else []

    def _close(self) -> list[Region]:
        """Close the open region; too short a region is a click, not a word."""
        assert self._first is not None
        first, last = self._first, self._last
        self._first = None
        self._pending.clear()
        if (last - first) * self._size < self._min_region:
            return []
        self._count += 1
        return [
            Region(
                round(first * self._size / self.rate, 3),
                round(last * self._size / self.rate, 3),
                self._crc,
            )
        ]
