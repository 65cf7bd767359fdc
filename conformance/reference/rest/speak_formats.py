"""The output formats of POST /v1/speak: the query's encoding, container, sample_rate, bit_rate
and speed checked against the official spec's combinations, and the tones rendered in the
format asked (soundfile), so that a client plays what it asked for."""

from __future__ import annotations

import io
import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import soundfile

from ..model.errors import ApiError, bad_request
from ..model.faults import Fault
from ..model.settings import Settings

SECONDS_PER_CHARACTER = 0.02
SPEED_RANGE = (0.7, 1.5)
"""The documented speed range ("speed query float 1.0 0.7 - 1.5", TTS Voice Controls)."""
MAX_CHARACTERS = 2000
"""Past this many characters a text is refused with 413 (Errors: Input Text Exceeded)."""


@dataclass(frozen=True)
class Encoding:
    """What the spec documents of one speak encoding."""

    containers: tuple[str, ...]
    """The containers it may be sent in, the default first."""
    rates: tuple[int, ...]
    """The sample rates it may be asked for, the default first."""
    bit_rates: tuple[int, int] | None
    """The bit rates it accepts (lowest, highest), or None where bit_rate does not apply."""
    media_type: str


ENCODINGS: dict[str, Encoding] = {
    "linear16": Encoding(("wav", "none"), (24000, 8000, 16000, 32000, 48000), None, "audio/wav"),
    "mulaw": Encoding(("wav", "none"), (8000, 16000), None, "audio/wav"),
    "alaw": Encoding(("wav", "none"), (8000, 16000), None, "audio/wav"),
    "mp3": Encoding(("none",), (22050,), (32000, 48000), "audio/mpeg"),
    "opus": Encoding(("ogg",), (48000,), (4000, 650000), "audio/ogg"),
    "flac": Encoding(("none",), (24000, 8000, 16000, 22050, 32000, 48000), None, "audio/flac"),
    "aac": Encoding(("none",), (22050,), (4000, 192000), "audio/aac"),
}
"""Encoding -> its documented combinations (V1SpeakPostParametersContainer*, *SampleRate*,
*BitRate*); the REST default is linear16 in WAV at 24000 Hz (Media Output Settings)."""
MP3_BIT_RATES = (32000, 48000)
RAW_TYPES = {"linear16": "audio/l16", "mulaw": "audio/basic", "alaw": "audio/x-alaw-basic"}
_SUBTYPES = {"linear16": "PCM_16", "mulaw": "ULAW", "alaw": "ALAW"}


@dataclass(frozen=True)
class Output:
    """The audio one request asks for."""

    encoding: str
    container: str
    rate: int
    speed: float

    @property
    def media_type(self) -> str:
        """The Content-Type of the audio."""
        if self.container == "none" and self.encoding in RAW_TYPES:
            return RAW_TYPES[self.encoding]
        return ENCODINGS[self.encoding].media_type


def _number(query: Mapping[str, str], name: str) -> float | None:
    """A numeric query parameter, None when absent, 400 when not a number."""
    value = query.get(name)
    if value is None:
        return None
    try:
        number = float(value)
    except ValueError:
        raise bad_request(f"{name}={value!r} is not a number.") from None
    if not math.isfinite(number):
        raise bad_request(f"{name}={value!r} is not a number.")
    return number


def _unsupported(query: Mapping[str, str], why: str) -> ApiError:
    """The documented 400 of an output format the encoding does not support."""
    asked = ", ".join(
        f"{k}={query[k]}"
        for k in ("encoding", "container", "sample_rate", "bit_rate")
        if k in query
    )
    return ApiError(400, f"Unsupported audio format ({asked}): {why}", "UNSUPPORTED_AUDIO_FORMAT")


def _bit_rate_ok(encoding: str, spec: Encoding, bit_rate: float) -> bool:
    """Whether bit_rate is one the encoding documents."""
    if spec.bit_rates is None:
        return False
    if encoding == "mp3":
        return bit_rate in MP3_BIT_RATES
    return spec.bit_rates[0] <= bit_rate <= spec.bit_rates[1]


def output(query: Mapping[str, str], settings: Settings) -> Output:
    """The output a speak query asks for, or the documented 400 of a combination the spec does
    not list (under speak-any-format, the default output instead)."""
    encoding = query.get("encoding", "linear16")
    spec = ENCODINGS.get(encoding)
    if spec is None:
        raise _unsupported(query, f"the encodings are {', '.join(ENCODINGS)}")
    container = query.get("container", spec.containers[0])
    rate = _number(query, "sample_rate")
    bit_rate = _number(query, "bit_rate")
    speed = _number(query, "speed")
    if speed is not None and not SPEED_RANGE[0] <= speed <= SPEED_RANGE[1]:
        if not settings.has(Fault.SPEAK_SPEED_UNCHECKED):
            raise bad_request(f"speed={speed:g} is outside {SPEED_RANGE[0]} to {SPEED_RANGE[1]}.")
    problem = None
    if container not in spec.containers:
        problem = f"{encoding} supports the containers {', '.join(spec.containers)}"
    elif rate is not None and rate not in spec.rates:
        problem = f"{encoding} supports the sample rates {', '.join(map(str, spec.rates))}"
    elif bit_rate is not None and not _bit_rate_ok(encoding, spec, bit_rate):
        problem = f"bit_rate {bit_rate:g} is not one {encoding} supports"
    if problem is not None:
        if not settings.has(Fault.SPEAK_ANY_FORMAT):
            raise _unsupported(query, problem)
        return Output("linear16", "wav", 24000, 1.0)
    if encoding == "flac" and settings.has(Fault.SPEAK_REFUSES_FLAC):
        raise _unsupported(query, "flac is not available")
    chosen = int(rate) if rate is not None else spec.rates[0]
    if settings.has(Fault.SPEAK_WAV_RATE_IGNORED) and container == "wav":
        chosen = spec.rates[0]
    return Output(encoding, container, chosen, speed or 1.0)


def tones(text: str, rate: int, speed: float) -> np.ndarray:
    """Float samples whose tones follow the text's characters (silence for spaces): same text,
    same audio; a higher speed, shorter audio."""
    per_character = max(1, int(rate * SECONDS_PER_CHARACTER / speed))
    t = np.arange(per_character, dtype=np.float64) / rate
    parts = []
    for index, character in enumerate(text):
        if character.isspace():
            parts.append(np.zeros(per_character))
            continue
        pitch = 200 + (ord(character) % 64) * 10
        parts.append(0.3 * np.sin(2 * math.pi * pitch * (t + index * per_character / rate)))
    return np.concatenate(parts or [np.zeros(per_character)]).astype(np.float32)


def render(text: str, out: Output, settings: Settings) -> bytes:
    """The text as audio in the format asked."""
    samples = tones(text, out.rate, out.speed)
    if settings.has(Fault.SPEAK_WAV_STEREO) and out.container == "wav":
        samples = np.stack([samples, samples], axis=1)
    buffer = io.BytesIO()
    if out.encoding in _SUBTYPES:
        raw = out.container == "none" and not settings.has(Fault.SPEAK_NONE_HAS_HEADER)
        kind = "RAW" if raw else "WAV"
        soundfile.write(buffer, samples, out.rate, format=kind, subtype=_SUBTYPES[out.encoding])
    elif out.encoding == "mp3":
        soundfile.write(buffer, samples, out.rate, format="MP3", subtype="MPEG_LAYER_III")
    elif out.encoding == "opus":
        soundfile.write(buffer, samples, out.rate, format="OGG", subtype="OPUS")
    elif out.encoding == "flac":
        soundfile.write(buffer, samples, out.rate, format="FLAC", subtype="PCM_16")
    else:
        return adts_silence(len(samples), out.rate)
    return buffer.getvalue()


ADTS_SILENT_FRAME = bytes.fromhex("fff15c4001bffc210004608c1c")
"""One ADTS AAC-LC frame of mono silence at 22050 Hz (libsndfile writes no AAC)."""


def adts_silence(frames: int, rate: int) -> bytes:
    """AAC-LC silence in ADTS frames (1024 samples each) as long as `frames` samples at `rate`."""
    return ADTS_SILENT_FRAME * max(1, math.ceil(frames / 1024))
