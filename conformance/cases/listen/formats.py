"""LISTEN audio containers: the common compressed formats are transcribed like WAV."""

from __future__ import annotations

import hashlib

from conformance.cases.kit.context import LISTEN_PATH, CaseContext, expect_transcription
from conformance.cases.kit.registry import case
from conformance.cases.kit.walk import get, number
from conformance.wire import audio
from conformance.wire.containers import CONTAINERS, encoded

LOSSY_SLACK = 0.05
"""Seconds a lossy codec's frame padding may add to or take from the duration a target reads."""


@case("LISTEN-FORMATS")
async def compressed_containers(ctx: CaseContext) -> None:
    """MP3, FLAC, Ogg Opus and Ogg Vorbis bodies are transcribed: 200, the sha256 of the bytes
    sent, and the clip's duration and channels (a wrong one is blocked by the requirement that
    judges it on WAV, and this one's own failure when WAV gets it right)."""
    clip = audio.phrase()
    tolerance = ctx.config.timing.duration_tolerance + LOSSY_SLACK
    for container in CONTAINERS:
        body = encoded(clip, container)
        exchange = await ctx.client.request(
            "POST", LISTEN_PATH, content=body, content_type=container.content_type
        )
        if exchange.status != 200:
            ctx.blocked(
                "LISTEN-RAW-BODY",
                f"{container.name} ({container.content_type}, {len(body)} bytes of the "
                f"{clip.duration:g} s {clip.name} clip): {exchange.describe()}, expected 200 "
                f"with a transcription; body {exchange.response_body[:200]!r}",
            )
        metadata = get(expect_transcription(exchange), "metadata")
        sha256 = get(metadata, "sha256")
        if sha256 != hashlib.sha256(body).hexdigest():
            ctx.blocked(
                "LISTEN-SHA256",
                f"{container.name}: metadata.sha256 is {sha256!r}, not the SHA-256 of the bytes "
                "sent",
            )
        duration = number(get(metadata, "duration"), "metadata.duration")
        if abs(duration - clip.duration) > tolerance:
            ctx.blocked(
                "LISTEN-DURATION",
                f"{container.name}: metadata.duration is {duration:g} s; the audio lasts "
                f"{clip.duration:g} s (tolerance {tolerance:g} s)",
            )
        channels = get(metadata, "channels")
        if channels != clip.channels:
            ctx.blocked(
                "LISTEN-CHANNELS",
                f"{container.name}: metadata.channels is {channels!r}; the audio has "
                f"{clip.channels}",
            )
