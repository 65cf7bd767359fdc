"""SPEAK: text to speech over REST, answered with audio at once or delivered by callback.

The callback checks LISTEN shares are registered from one table (kit/twins.py); these are
SPEAK's own."""

from __future__ import annotations

from conformance.cases.kit import delivery, twins
from conformance.cases.kit.context import CaseContext
from conformance.cases.kit.delivery import SPEAK, SPEAK_PATH, SPEAK_TEXT
from conformance.cases.kit.registry import case

twins.register(SPEAK)


def _audio_type(content_type: str) -> bool:
    """Whether a content type is audio of any kind (audio/*), all the SPEAK checks ask."""
    return content_type.startswith("audio/")


@case("SPEAK-AUDIO")
async def speech_returned(ctx: CaseContext) -> None:
    """{"text": ...} is answered 200 with audio."""
    exchange = await ctx.client.request("POST", SPEAK_PATH, json_body={"text": SPEAK_TEXT})
    ctx.check(
        exchange.status == 200 and _audio_type(exchange.content_type) and bool(exchange.content),
        f"{exchange.describe()} ({len(exchange.content)} bytes): expected 200 with an audio/* "
        "content type and the audio",
    )


@case("SPEAK-CALLBACK-DELIVERY")
async def audio_delivered(ctx: CaseContext) -> None:
    """The delivery carries the audio with an audio content type."""
    box = await delivery.first_delivery(ctx, SPEAK)
    first = box.deliveries[0]
    ctx.check(
        _audio_type(first.content_type) and bool(first.body),
        f"the delivery is {len(first.body)} bytes of {first.content_type or 'no content type'}; "
        "expected the audio with an audio/* content type",
    )
