"""The suite's clips in the common compressed containers (MP3, FLAC, Ogg Opus, Ogg Vorbis),
made with libsndfile, so that a target's "over 100 audio formats" can be heard on the wire."""

from __future__ import annotations

import io
import wave
from dataclasses import dataclass
from functools import cache

import numpy as np
import soundfile

from conformance.wire.audio import TestAudio
from conformance.wire.codecs import CONTAINER, StreamAudio


@dataclass(frozen=True)
class Container:
    """One container and codec, and the MIME type a client sends it under."""

    name: str
    format: str
    subtype: str
    content_type: str


CONTAINERS = (
    Container("mp3", "MP3", "MPEG_LAYER_III", "audio/mpeg"),
    Container("flac", "FLAC", "PCM_16", "audio/flac"),
    Container("ogg-opus", "OGG", "OPUS", "audio/ogg"),
    Container("ogg-vorbis", "OGG", "VORBIS", "audio/ogg"),
)
"""The containers document 004 and the live Supported Audio Formats page both name."""


@cache
def encoded(clip: TestAudio, container: Container) -> bytes:
    """The clip's samples in the container (deterministic for one libsndfile build)."""
    with wave.open(io.BytesIO(clip.wav)) as source:
        frames = np.frombuffer(source.readframes(source.getnframes()), dtype="<i2")
    out = io.BytesIO()
    soundfile.write(
        out,
        frames.reshape(-1, clip.channels),
        clip.sample_rate,
        format=container.format,
        subtype=container.subtype,
    )
    return out.getvalue()


def streamed(clip: TestAudio, container: Container, encoding: str = CONTAINER) -> StreamAudio:
    """The clip in the container as a stream's audio: sent without `encoding` (CONTAINER), or
    under the encoding that names the codec (flac, opus)."""
    return StreamAudio(
        name=f"{clip.name}.{container.name}",
        encoding=encoding,
        sample_rate=clip.sample_rate,
        channels=clip.channels,
        data=encoded(clip, container),
        seconds=clip.duration,
    )
