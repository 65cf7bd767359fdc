"""LISTEN models per channel: with multichannel, document 004 lets `model` name one model per
channel (general:phonecall), and metadata.models lists the models that transcribed."""

from __future__ import annotations

from typing import Any

from conformance.cases.kit.context import CaseContext
from conformance.cases.kit.registry import case
from conformance.cases.kit.walk import get, items, result_channels
from conformance.wire import audio

PER_CHANNEL = (("multichannel", "true"), ("model", "general:phonecall"))
"""Document 004's example: general on channel 0, phonecall on channel 1."""
ASKED = "model=general:phonecall&multichannel=true on the two-channel clip"


async def _per_channel(ctx: CaseContext, refusal: str) -> dict[str, Any]:
    """The per-channel transcription of the stereo clip, split into its two channels, or
    blocked: refused (by `refusal`, the requirement a refusal breaks) or not split
    (LISTEN-MULTICHANNEL)."""
    clip = audio.stereo()
    exchange = await ctx.transcribe(clip, PER_CHANNEL)
    if exchange.status != 200:
        ctx.blocked(
            refusal,
            f"{ASKED}: {exchange.describe()}, expected 200 with one transcript per channel; "
            f"body {exchange.response_body[:200]!r}",
        )
    body = await ctx.transcription(clip, PER_CHANNEL)
    found = len(result_channels(body))
    if found != clip.channels:
        ctx.blocked(
            "LISTEN-MULTICHANNEL",
            f"{ASKED}: {found} result channels, expected {clip.channels} (one per channel)",
        )
    return body


@case("LISTEN-MODEL-PER-CHANNEL")
async def model_per_channel_accepted(ctx: CaseContext) -> None:
    """model=general:phonecall with multichannel=true gives one transcript per channel."""
    await _per_channel(ctx, "LISTEN-RAW-BODY")


@case("LISTEN-MODEL-PER-CHANNEL-MODELS")
async def model_per_channel_listed(ctx: CaseContext) -> None:
    """metadata.models names both models of general:phonecall, each with its model_info."""
    metadata = get(await _per_channel(ctx, "LISTEN-MODEL-PER-CHANNEL"), "metadata")
    models = items(get(metadata, "models"), "metadata.models")
    distinct = set(map(str, models))
    ctx.check(
        len(distinct) >= len(PER_CHANNEL[1][1].split(":")),
        f"{ASKED}: metadata.models is {models!r}, {len(distinct)} distinct model(s); expected "
        "one for each channel's model (general and phonecall: two)",
    )
    info = get(metadata, "model_info")
    missing = [m for m in distinct if not isinstance(info, dict) or m not in info]
    ctx.check(
        not missing, f"{ASKED}: metadata.model_info has no entry for model(s) {sorted(missing)}"
    )
