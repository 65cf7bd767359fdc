"""Audio decoding: WAV by our own RIFF parsing (exact, into a reusable buffer), every other
container (MP3, FLAC, Ogg Opus and Vorbis, ...) by libsndfile, as pure functions over bytes."""

from __future__ import annotations

import io
import struct
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import soundfile

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


def _to_float(payload: memoryview, fmt: _Format, out: Samples) -> Samples:
    """Interleaved little-endian samples as float32 in [-1, 1], written into out (one pass)."""
    if fmt.tag == _FLOAT and fmt.bits in (32, 64):
        raw = np.frombuffer(payload, dtype="<f4" if fmt.bits == 32 else "<f8")
        np.copyto(out, raw, casting="same_kind")
        return np.nan_to_num(out, copy=False, nan=0.0, posinf=1.0, neginf=-1.0)
    if fmt.tag != _PCM:
        raise AudioError(f"unsupported WAV encoding {fmt.tag}")
    # Scaling by a power of two is exact: these are the samples divided by full scale, bit for bit.
    if fmt.bits == 8:
        np.subtract(np.frombuffer(payload, dtype=np.uint8), np.float32(128), out, dtype=np.float32)
        out *= np.float32(2.0**-7)
        return out
    if fmt.bits == 16:
        np.multiply(np.frombuffer(payload, dtype="<i2"), np.float32(2.0**-15), out)
        return out
    if fmt.bits == 24:
        triples = np.frombuffer(payload, dtype=np.uint8).reshape(-1, 3).astype(np.int32)
        value = triples[:, 0] | (triples[:, 1] << 8) | (triples[:, 2] << 16)
        value = np.where(value >= 1 << 23, value - (1 << 24), value)
        np.multiply(value, np.float32(2.0**-23), out, dtype=np.float32)
        return out
    if fmt.bits == 32:  # int32 to float32 rounds once, as via float64 did
        np.multiply(np.frombuffer(payload, dtype="<i4"), np.float32(2.0**-31), out)
        return out
    raise AudioError(f"unsupported PCM sample size {fmt.bits}")


def decode_wav(data: bytes, out: Samples | None = None) -> Audio:
    """Decode a PCM or float WAV file of any channel count and rate (into out, if big enough)."""
    chunks = _chunks(data)
    fmt = _format(chunks[b"fmt "])
    payload = chunks[b"data"]
    frames = len(payload) // fmt.block_align
    count = frames * fmt.channels
    into = out[:count] if out is not None and len(out) >= count else np.empty(count, np.float32)
    flat = _to_float(payload[: frames * fmt.block_align], fmt, into)  # a view: no copy of the body
    return Audio(flat.reshape(frames, fmt.channels), fmt.rate)


RAW_ENCODINGS = frozenset({"linear16"})
"""Headerless encodings this server reads when the query gives encoding and sample_rate."""


@dataclass(frozen=True)
class Raw:
    """How to read a headerless body: the query's encoding and sample_rate (None if not given)."""

    encoding: str
    rate: int | None


def decode_raw(data: bytes, raw: Raw) -> Audio:
    """Headerless mono samples: nothing in the bytes says their encoding or rate, the query does."""
    if raw.encoding not in RAW_ENCODINGS:
        raise AudioError(f"raw {raw.encoding} audio is not supported")
    if raw.rate is None or not 1 <= raw.rate <= _MAX_RATE:
        raise AudioError(f"raw {raw.encoding} audio needs a sample_rate")
    usable = len(data) - len(data) % 2
    samples = np.frombuffer(data[:usable], dtype="<i2") * np.float32(2.0**-15)
    return Audio(samples.astype(np.float32).reshape(-1, 1), raw.rate)


def decode(
    data: bytes, out: Samples | None = None, containers: bool = True, raw: Raw | None = None
) -> Audio:
    """Decode WAV, headerless audio as `raw` says, or (with `containers`) any container
    libsndfile reads; a container's own header wins over the query."""
    if data[:4] == b"RIFF":
        return decode_wav(data, out)
    if raw is not None and raw.encoding in RAW_ENCODINGS:
        return decode_raw(data, raw)
    if not containers:
        return decode_wav(data, out)
    try:
        samples, rate = soundfile.read(io.BytesIO(data), dtype="float32", always_2d=True)
    except (soundfile.LibsndfileError, RuntimeError, TypeError, ValueError) as exc:
        raise AudioError(f"not audio libsndfile can read: {exc}") from None
    if not 1 <= samples.shape[1] <= _MAX_CHANNELS or not 1 <= rate <= _MAX_RATE:
        raise AudioError("implausible channel count or sample rate")
    return Audio(np.ascontiguousarray(samples), int(rate))
