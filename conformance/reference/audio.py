"""WAV decoding: RIFF parsing and sample conversion as pure functions over bytes."""

from __future__ import annotations

import struct
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

Samples = npt.NDArray[np.float32]
"""Audio as float32 in [-1, 1], shaped (frames, channels)."""

_PCM = 1
_FLOAT = 3
_EXTENSIBLE = 0xFFFE
_MAX_CHANNELS = 64
_MAX_RATE = 768_000


class AudioError(ValueError):
    """The bytes are not audio this server can decode."""


@dataclass(frozen=True)
class Audio:
    """Decoded audio: samples and the rate they were recorded at."""

    samples: Samples
    rate: int

    @property
    def channels(self) -> int:
        """Number of interleaved channels in the file."""
        return int(self.samples.shape[1])

    @property
    def duration(self) -> float:
        """Length in seconds, to the microsecond like Deepgram's metadata.duration."""
        return round(int(self.samples.shape[0]) / self.rate, 6)

    def channel(self, index: int) -> Samples:
        """One channel as a 1-D array."""
        return np.ascontiguousarray(self.samples[:, index])

    def mixed(self) -> Samples:
        """All channels averaged into one, for non-multichannel transcription."""
        if self.channels == 1:
            return self.channel(0)
        mixed: Samples = self.samples.mean(axis=1, dtype=np.float32)
        return mixed


@dataclass(frozen=True)
class _Format:
    """The fields of a fmt chunk that decoding needs."""

    tag: int
    channels: int
    rate: int
    block_align: int
    bits: int


def _chunks(data: bytes) -> dict[bytes, memoryview]:
    """The RIFF chunks up to and including the first data chunk, by id (first occurrence wins)."""
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise AudioError("not a RIFF/WAVE file")
    view = memoryview(data)
    found: dict[bytes, memoryview] = {}
    offset = 12
    while offset + 8 <= len(data):
        chunk_id = bytes(view[offset : offset + 4])
        (size,) = struct.unpack_from("<I", data, offset + 4)
        body = view[offset + 8 : offset + 8 + size]  # a streamed file may claim more than it has
        found.setdefault(chunk_id, body)
        if chunk_id == b"data":
            break
        offset += 8 + size + (size & 1)
    if b"fmt " not in found or b"data" not in found:
        raise AudioError("missing fmt or data chunk")
    return found


def _format(fmt: memoryview) -> _Format:
    """Parse and sanity-check a fmt chunk, resolving WAVE_FORMAT_EXTENSIBLE to its sub-format."""
    if len(fmt) < 16:
        raise AudioError("truncated fmt chunk")
    tag, channels, rate, _, block_align, bits = struct.unpack_from("<HHIIHH", fmt)
    if tag == _EXTENSIBLE:
        if len(fmt) < 26:
            raise AudioError("truncated extensible fmt chunk")
        (tag,) = struct.unpack_from("<H", fmt, 24)
    if not 1 <= channels <= _MAX_CHANNELS or not 1 <= rate <= _MAX_RATE:
        raise AudioError("implausible channel count or sample rate")
    if block_align != channels * ((bits + 7) // 8):
        raise AudioError("block alignment does not match the sample size")
    return _Format(tag, channels, rate, block_align, bits)


def _to_float(payload: memoryview, fmt: _Format) -> Samples:
    """Interleaved little-endian samples as float32 in [-1, 1]: one new array, scaled in place."""
    if fmt.tag == _FLOAT and fmt.bits in (32, 64):
        raw = np.frombuffer(payload, dtype="<f4" if fmt.bits == 32 else "<f8")
        return np.nan_to_num(raw.astype(np.float32), nan=0.0, posinf=1.0, neginf=-1.0)
    if fmt.tag != _PCM:
        raise AudioError(f"unsupported WAV encoding {fmt.tag}")
    if fmt.bits == 8:
        samples: Samples = np.frombuffer(payload, dtype=np.uint8).astype(np.float32)
        samples -= np.float32(128.0)
        samples /= np.float32(128.0)
        return samples
    if fmt.bits == 16:  # times 2**-15 is exact, like dividing by 32768: one pass, one array
        scaled: Samples = np.multiply(
            np.frombuffer(payload, dtype="<i2"), np.float32(2.0**-15), dtype=np.float32
        )
        return scaled
    if fmt.bits == 24:
        triples = np.frombuffer(payload, dtype=np.uint8).reshape(-1, 3).astype(np.int32)
        value = triples[:, 0] | (triples[:, 1] << 8) | (triples[:, 2] << 16)
        value = np.where(value >= 1 << 23, value - (1 << 24), value)
        return value.astype(np.float32) / float(1 << 23)
    if fmt.bits == 32:
        return (np.frombuffer(payload, dtype="<i4").astype(np.float64) / 2.0**31).astype(np.float32)
    raise AudioError(f"unsupported PCM sample size {fmt.bits}")


def decode_wav(data: bytes) -> Audio:
    """Decode a PCM or float WAV file of any channel count and rate, or raise AudioError."""
    chunks = _chunks(data)
    fmt = _format(chunks[b"fmt "])
    payload = chunks[b"data"]
    frames = len(payload) // fmt.block_align
    flat = _to_float(payload[: frames * fmt.block_align], fmt)  # a view: the body is not copied
    return Audio(flat.reshape(frames, fmt.channels), fmt.rate)
