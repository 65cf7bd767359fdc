"""SPEAK: text to speech over REST, answered with audio at once or delivered by callback."""

from __future__ import annotations

from conformance.cases.kit import delivery, retries
from conformance.cases.kit.context import CaseContext
from conformance.cases.kit.delivery import SPEAK, SPEAK_PATH, SPEAK_TEXT
from conformance.cases.kit.registry import case


def _audio_type(content_type: str) -> bool:
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


@case("SPEAK-CALLBACK-ACCEPTED")
async def answered_at_once(ctx: CaseContext) -> None:
    """The immediate answer holds a request_id, not the audio."""
    await delivery.check_accepted(ctx, SPEAK)


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


@case("SPEAK-CALLBACK-POST")
async def post_by_default(ctx: CaseContext) -> None:
    """Without callback_method the delivery is a POST."""
    await delivery.check_method(ctx, SPEAK, None)


@case("SPEAK-CALLBACK-PUT")
async def put_when_asked(ctx: CaseContext) -> None:
    """callback_method=put and =PUT each give a PUT."""
    await delivery.check_method(ctx, SPEAK, "put")
    await delivery.check_method(ctx, SPEAK, "PUT")


@case("SPEAK-CALLBACK-BASIC-AUTH")
async def basic_auth_from_url(ctx: CaseContext) -> None:
    """user:pass in the callback URL becomes a Basic Authorization header."""
    await delivery.check_basic_auth(ctx, SPEAK)


@case("SPEAK-CALLBACK-DG-TOKEN")
async def dg_token_is_key_id(ctx: CaseContext) -> None:
    """dg-token is the submitting API key's identifier."""
    await delivery.check_dg_token(ctx, SPEAK)


@case("SPEAK-CALLBACK-HTTPS")
async def https_callback_delivered(ctx: CaseContext) -> None:
    """An https callback URL is accepted and delivered to, over TLS."""
    await delivery.check_https(ctx, SPEAK)


@case("SPEAK-CALLBACK-PORT-ALLOWED")
async def allowed_ports_accepted(ctx: CaseContext) -> None:
    """80, 443, 8080 and 8443 are accepted."""
    await delivery.check_ports_allowed(ctx, SPEAK)


@case("SPEAK-CALLBACK-PORT-REFUSED")
async def other_ports_refused(ctx: CaseContext) -> None:
    """Any other port is refused with 400."""
    await delivery.check_ports_refused(ctx, SPEAK)


@case("SPEAK-CALLBACK-PROTOCOLS")
async def only_http_and_https(ctx: CaseContext) -> None:
    """ws, wss, ftp, file and non-URLs are refused."""
    await delivery.check_protocols(ctx, SPEAK)


@case("SPEAK-CALLBACK-RETRY")
async def failed_attempts_retried(ctx: CaseContext) -> None:
    """500 then 503 are retried, with the same audio."""
    await retries.check_retried(ctx, SPEAK)


@case("SPEAK-CALLBACK-RETRY-LIMIT")
async def at_most_ten_retries(ctx: CaseContext) -> None:
    """A speak delivery always answered 500 stops after retry_count retries."""
    await retries.check_limit(ctx, SPEAK)


@case("SPEAK-CALLBACK-RETRY-DELAY")
async def attempts_spaced_by_delay(ctx: CaseContext) -> None:
    """Successive speak attempts are the declared retry delay apart, within the tolerance."""
    await retries.check_delay(ctx, SPEAK)


@case("SPEAK-CALLBACK-RETRY-STOPS")
async def any_2xx_ends_retries(ctx: CaseContext) -> None:
    """After 500, any 2xx answer ends the speak retries at once."""
    await retries.check_stops(ctx, SPEAK)


@case("SPEAK-CALLBACK-RETRY-UNANSWERED")
async def unanswered_attempts_retried(ctx: CaseContext) -> None:
    """A speak attempt held unanswered, one dropped, and one refused are each retried."""
    await retries.check_unanswered(ctx, SPEAK)


@case("SPEAK-CALLBACK-BASIC-AUTH-HIDDEN")
async def credentials_not_in_request_line(ctx: CaseContext) -> None:
    """The credentials never appear in the speak delivery's path or query."""
    await delivery.check_basic_auth_hidden(ctx, SPEAK)
