"""SPEAK over REST, the request and its headers: dg-model-name, dg-model-uuid, dg-char-count and
dg-request-id, an unknown model, text/plain and other bodies, the character limit, speed."""

from __future__ import annotations

from conformance.cases.kit.context import CaseContext
from conformance.cases.kit.delivery import SPEAK_PATH
from conformance.cases.kit.registry import case
from conformance.cases.speak_rest import MODEL, TEXT, UUID, is_audio, require_speech, speak
from conformance.wire.http import Exchange

TEXTS = (TEXT, "Speak these seven words, then stop.")
LIMIT = 2000
"""The character limit the suite assumes (no stored page gives the number: MAY)."""


@case("SPEAK-MODEL-HEADERS")
async def model_headers(ctx: CaseContext) -> None:
    """dg-model-name echoes the model asked, dg-model-uuid is a UUID."""
    for model in (MODEL, "aura-asteria-en"):
        exchange = await ctx.client.request(
            "POST", SPEAK_PATH, params=(("model", model),), json_body={"text": TEXT}
        )
        if not is_audio(exchange):
            ctx.blocked("SPEAK-AUDIO", f"{exchange.describe()}: model={model} gave no audio")
        name = exchange.response_headers.get("dg-model-name")
        uuid = exchange.response_headers.get("dg-model-uuid") or ""
        ctx.check(
            name == model and bool(UUID.fullmatch(uuid)),
            f"model={model}: dg-model-name {name!r}, dg-model-uuid {uuid!r}; expected the model "
            "asked and a UUID (as the genuine recordings show)",
            on=exchange,
        )


@case("SPEAK-MODEL-UNKNOWN")
async def unknown_model_refused(ctx: CaseContext) -> None:
    """A model that does not exist is refused with a 4xx."""
    await require_speech(ctx)
    exchange = await ctx.client.request(
        "POST", SPEAK_PATH, params=(("model", "aura-2-nonexistent-zz9"),), json_body={"text": TEXT}
    )
    status = exchange.status or 0
    ctx.check(
        400 <= status < 500,
        f"{exchange.describe()}: model=aura-2-nonexistent-zz9; expected a 4xx "
        '("400 Unknown Model. Query parameters specify a model that does not exist.")',
        on=exchange,
    )


async def _spoken(ctx: CaseContext) -> list[tuple[str, Exchange]]:
    """Each of TEXTS spoken; blocked by SPEAK-AUDIO when one gets no audio."""
    spoken = []
    for text in TEXTS:
        exchange = await speak(ctx, text=text)
        if not is_audio(exchange):
            ctx.blocked("SPEAK-AUDIO", f"{exchange.describe()}: no audio for {text!r}")
        spoken.append((text, exchange))
    return spoken


@case("SPEAK-CHAR-COUNT")
async def char_count_is_text_length(ctx: CaseContext) -> None:
    """dg-char-count is the number of characters of the text."""
    for text, exchange in await _spoken(ctx):
        count = exchange.response_headers.get("dg-char-count")
        ctx.check(
            count == str(len(text)),
            f"{text!r} has {len(text)} characters; dg-char-count is {count!r}",
            on=exchange,
        )


@case("SPEAK-REQUEST-ID")
async def request_id_header(ctx: CaseContext) -> None:
    """An audio answer carries a UUID dg-request-id, a new one per request."""
    seen = []
    for _, exchange in await _spoken(ctx):
        rid = exchange.response_headers.get("dg-request-id") or ""
        ctx.check(
            bool(UUID.fullmatch(rid)),
            f"{exchange.describe()}: dg-request-id is {rid!r}; expected a UUID",
            on=exchange,
        )
        seen.append(rid)
    ctx.check(len(set(seen)) == len(seen), f"two requests got the same dg-request-id {seen[0]!r}")


@case("SPEAK-TEXT-PLAIN")
async def plain_text_body(ctx: CaseContext) -> None:
    """A text/plain body is spoken like {"text": ...}."""
    await require_speech(ctx)
    exchange = await ctx.client.request(
        "POST",
        SPEAK_PATH,
        params=(("model", MODEL),),
        content=TEXT.encode(),
        content_type="text/plain",
    )
    ctx.check(
        is_audio(exchange),
        f"{exchange.describe()}: a text/plain body {TEXT!r}; expected 200 with audio "
        "(document 003 sends --header 'Content-Type: text/plain' --data 'Your Text.')",
        on=exchange,
    )


@case("SPEAK-CONTENT-TYPE-REFUSED")
async def other_body_refused(ctx: CaseContext) -> None:
    """A body of another content type is refused with 415."""
    await require_speech(ctx)
    exchange = await ctx.client.request(
        "POST",
        SPEAK_PATH,
        params=(("model", MODEL),),
        content=f"<text>{TEXT}</text>".encode(),
        content_type="application/xml",
    )
    ctx.check(
        exchange.status == 415,
        f"{exchange.describe()}: an application/xml body; expected 415 "
        '("415 Unsupported Content Type in Request")',
        on=exchange,
    )


@case("SPEAK-TEXT-LIMIT")
async def text_past_limit_refused(ctx: CaseContext) -> None:
    """A text past the character limit is refused with 413."""
    await require_speech(ctx)
    text = ("Hello world. " * (LIMIT // 13 + 1))[: LIMIT + 1]
    exchange = await speak(ctx, text=text)
    ctx.check(
        exchange.status == 413,
        f"{exchange.describe()}: a text of {len(text)} characters; expected 413 "
        '("413 Input Text Exceeded Character Limit")',
        on=exchange,
    )


@case("SPEAK-SPEED")
async def speed_in_range_accepted(ctx: CaseContext) -> None:
    """speed at the ends of its range and in between gives audio."""
    await require_speech(ctx)
    for speed in ("0.7", "1.0", "1.5"):
        exchange = await speak(ctx, (("speed", speed),))
        ctx.check(
            is_audio(exchange),
            f"{exchange.describe()}: speed={speed}, inside the documented 0.7 to 1.5; "
            "expected 200 with audio",
            on=exchange,
        )


@case("SPEAK-SPEED-RANGE")
async def speed_out_of_range_refused(ctx: CaseContext) -> None:
    """speed outside 0.7 to 1.5 is refused with 400."""
    await require_speech(ctx)
    for speed in ("0.5", "2.0"):
        exchange = await speak(ctx, (("speed", speed),))
        ctx.check(
            exchange.status == 400,
            f"{exchange.describe()}: speed={speed}, outside the documented 0.7 to 1.5; "
            "expected 400",
            on=exchange,
        )
