"""LISTEN raw audio: a headerless body says nothing of its encoding or rate, so encoding and
sample_rate must be read from the query; the duration a target reports shows it read them."""

from __future__ import annotations

import hashlib
import io
import wave

from conformance.cases.kit.context import LISTEN_PATH, CaseContext, expect_transcription
from conformance.cases.kit.registry import case
from conformance.cases.kit.walk import get, number
from conformance.wire import audio

CONTENT_TYPE = "application/octet-stream"
"""Raw samples have no audio MIME type of their own that every target knows."""


def _samples(wav: bytes) -> bytes:
    """A WAV file's 16-bit samples without its header: raw linear16."""
    with wave.open(io.BytesIO(wav)) as source:
        return bytes(source.readframes(source.getnframes()))


@case("LISTEN-RAW-ENCODING")
async def raw_linear16_read_as_asked(ctx: CaseContext) -> None:
    """Headerless linear16 at 16 and 8 kHz, with encoding and sample_rate, is transcribed
    with the sha256 of the bytes sent and the clip's duration (a wrong one is blocked by the
    requirement that judges it on WAV, and this one's own failure when WAV gets it right)."""
    clip = audio.phrase()
    tolerance = ctx.config.timing.duration_tolerance
    for rate, wav in ((clip.sample_rate, clip.wav), (clip.sample_rate // 2, audio.at_8khz(clip))):
        body = _samples(wav)
        asked = f"{len(body)} bytes of raw linear16 at {rate} Hz (the {clip.name} clip)"
        exchange = await ctx.client.request(
            "POST",
            LISTEN_PATH,
            params=[("encoding", "linear16"), ("sample_rate", str(rate))],
            content=body,
            content_type=CONTENT_TYPE,
        )
        if exchange.status != 200:
            ctx.blocked(
                "LISTEN-RAW-BODY",
                f"{asked} with encoding=linear16&sample_rate={rate}: {exchange.describe()}, "
                f"expected 200 with a transcription; body {exchange.response_body[:200]!r}",
            )
        metadata = get(expect_transcription(exchange), "metadata")
        sha256 = get(metadata, "sha256")
        if sha256 != hashlib.sha256(body).hexdigest():
            ctx.blocked(
                "LISTEN-SHA256",
                f"{asked}: metadata.sha256 is {sha256!r}, not the SHA-256 of the bytes sent",
            )
        duration = number(get(metadata, "duration"), "metadata.duration")
        if abs(duration - clip.duration) > tolerance:
            ctx.blocked(
                "LISTEN-DURATION",
                f"{asked}: metadata.duration is {duration:g} s; {len(body) // 2} samples at "
                f"{rate} Hz last {clip.duration:g} s (tolerance {tolerance:g} s), so "
                "sample_rate was not read as sent",
            )
