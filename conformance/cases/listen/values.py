"""LISTEN documented value lists: every model and every language tag document 004 lists is
accepted with a valid body, not only the few the parameter catalogue generates."""

from __future__ import annotations

import asyncio

from conformance.cases.kit.context import CaseContext
from conformance.cases.kit.registry import case
from conformance.wire import audio
from conformance.wire.http import Params

MODELS = ("general", "meeting", "phonecall", "voicemail", "finance", "conversationalai", "video")
"""The off-the-shelf models of document 004, each with en-US (which lists them all)."""
LANGUAGES = (
    "nl", "en-US", "en-AU", "en-GB", "en-IN", "en-NZ", "fr", "fr-CA", "de", "hi", "it", "ja",
    "ko", "pt", "pt-BR", "ru", "es", "es-419", "sv", "tr",
)  # fmt: skip
"""The language tags of document 004, each with the general model (which every one lists)."""


async def _refused(ctx: CaseContext, sets: list[Params]) -> list[str]:
    """The parameter sets a transcription of the short phrase was refused with (a line each);
    blocked by LISTEN-RAW-BODY when no set at all was accepted."""
    clip = audio.phrase()
    exchanges = await asyncio.gather(*(ctx.transcribe(clip, params) for params in sets))
    refused = [
        f"{'&'.join(f'{k}={v}' for k, v in params)}: {exchange.describe()} "
        f"{exchange.response_body[:120]!r}"
        for params, exchange in zip(sets, exchanges, strict=True)
        if exchange.status != 200
    ]
    if len(refused) == len(sets):
        ctx.blocked("LISTEN-RAW-BODY", f"every request was refused; first: {refused[0]}")
    return refused


@case("LISTEN-MODELS")
async def documented_models_accepted(ctx: CaseContext) -> None:
    """Each of the seven documented models (with language=en-US) transcribes the phrase."""
    refused = await _refused(ctx, [[("model", m), ("language", "en-US")] for m in MODELS])
    ctx.check(
        not refused,
        f"{len(refused)} of the {len(MODELS)} documented models were refused: "
        + "; ".join(refused),
    )


@case("LISTEN-LANGUAGES")
async def documented_languages_accepted(ctx: CaseContext) -> None:
    """Each of the twenty documented language tags (with model=general) transcribes the
    phrase."""
    refused = await _refused(ctx, [[("model", "general"), ("language", t)] for t in LANGUAGES])
    ctx.check(
        not refused,
        f"{len(refused)} of the {len(LANGUAGES)} documented language tags were refused: "
        + "; ".join(refused),
    )
