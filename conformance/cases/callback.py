"""CALLBACK: pre-recorded requests answered at once, then delivered to the suite's receiver.

Each case has a callback path of its own; waits are event waits whose deadlines follow the
declared retry delay (conformance/timing.py), so a 30 s schedule runs beside the other cases.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from conformance.cases.extra import literal_extra
from conformance.cases.kit import delivery, retries
from conformance.cases.kit.context import LISTEN_SHAPE, CaseContext
from conformance.cases.kit.delivery import LISTEN
from conformance.cases.kit.registry import case
from conformance.cases.kit.walk import get, ordinal_list
from conformance.contract import shapes
from conformance.wire.receiver import Mailbox

EXTRA_KEY, EXTRA_VALUE = "conformanceRun", "callback-check"


def _metadata(ctx: CaseContext, box: Mailbox) -> dict[str, Any]:
    """The first delivery's metadata object, or a failure saying what it was instead."""
    metadata = get(_json(ctx, box), "metadata")
    ctx.check(
        isinstance(metadata, dict),
        f"the delivery's metadata is {type(metadata).__name__}, expected an object",
    )
    return dict(metadata)


def _json(ctx: CaseContext, box: Mailbox) -> dict[str, Any]:
    """The first delivery's body as a JSON object, or a failure saying what it was."""
    first = box.deliveries[0]
    try:
        body = json.loads(first.body)
    except ValueError:
        ctx.fail(
            f"the delivery ({first.content_type or 'no content type'}, {len(first.body)} bytes) "
            "is not JSON"
        )
    ctx.check(isinstance(body, dict), "the delivery's JSON is not an object")
    return dict(body)


@case("CALLBACK-ACCEPTED")
async def answered_at_once(ctx: CaseContext) -> None:
    """The immediate answer holds a request_id and no results."""
    await delivery.check_accepted(ctx, LISTEN)


@case("CALLBACK-DELIVERY")
async def transcription_delivered(ctx: CaseContext) -> None:
    """The delivery is the whole transcription, as JSON, valid against the listen schema."""
    box = await delivery.first_delivery(ctx, LISTEN)
    first = box.deliveries[0]
    ctx.check(
        first.content_type == "application/json",
        f"the delivery's content type is {first.content_type or 'missing'}, "
        "expected application/json",
    )
    problems = shapes.problems("listen", _json(ctx, box))
    if problems:
        ctx.blocked(
            LISTEN_SHAPE,
            f"the delivered transcription breaks schemas/listen-response.json: "
            f"{ordinal_list(problems)}",
        )


@case("CALLBACK-REQUEST-ID")
async def same_request_id(ctx: CaseContext) -> None:
    """The delivered metadata.request_id is the one the immediate answer gave."""
    box, request_id = await delivery.delivered(ctx, LISTEN, delivery.PLAIN, share=True)
    got = _metadata(ctx, box).get("request_id")
    ctx.check(
        got == request_id,
        f"the immediate answer gave request_id {request_id!r}; the delivery's "
        f"metadata.request_id is {got!r}",
    )


@case("CALLBACK-POST")
async def post_by_default(ctx: CaseContext) -> None:
    """Without callback_method the delivery is a POST."""
    await delivery.check_method(ctx, LISTEN, None)


@case("CALLBACK-PUT")
async def put_when_asked(ctx: CaseContext) -> None:
    """callback_method=put and =PUT each give a PUT."""
    await asyncio.gather(
        delivery.check_method(ctx, LISTEN, "put"), delivery.check_method(ctx, LISTEN, "PUT")
    )


@case("CALLBACK-BASIC-AUTH")
async def basic_auth_from_url(ctx: CaseContext) -> None:
    """user:pass in the callback URL becomes a Basic Authorization header."""
    await delivery.check_basic_auth(ctx, LISTEN)


@case("CALLBACK-BASIC-AUTH-HIDDEN")
async def credentials_not_in_request_line(ctx: CaseContext) -> None:
    """The credentials never appear in the delivery's path or query."""
    await delivery.check_basic_auth_hidden(ctx, LISTEN)


@case("CALLBACK-DG-TOKEN")
async def dg_token_is_key_id(ctx: CaseContext) -> None:
    """dg-token is the submitting API key's identifier."""
    await delivery.check_dg_token(ctx, LISTEN)


@case("CALLBACK-HTTPS")
async def https_callback_delivered(ctx: CaseContext) -> None:
    """An https callback URL is accepted and delivered to, over TLS."""
    await delivery.check_https(ctx, LISTEN)


@case("CALLBACK-PORT-ALLOWED")
async def allowed_ports_accepted(ctx: CaseContext) -> None:
    """80, 443, 8080 and 8443 are accepted."""
    await delivery.check_ports_allowed(ctx, LISTEN)


@case("CALLBACK-PORT-REFUSED")
async def other_ports_refused(ctx: CaseContext) -> None:
    """Any other port is refused with 400."""
    await delivery.check_ports_refused(ctx, LISTEN)


@case("CALLBACK-PROTOCOLS")
async def only_http_and_https(ctx: CaseContext) -> None:
    """ws, wss, ftp, file and non-URLs are refused for pre-recorded audio."""
    await delivery.check_protocols(ctx, LISTEN)


@case("CALLBACK-RETRY")
async def failed_attempts_retried(ctx: CaseContext) -> None:
    """500 then 503 are retried, with the same body."""
    await retries.check_retried(ctx, LISTEN)


@case("CALLBACK-RETRY-LIMIT")
async def at_most_ten_retries(ctx: CaseContext) -> None:
    """A delivery always answered 500 stops after retry_count retries."""
    await retries.check_limit(ctx, LISTEN)


@case("CALLBACK-RETRY-DELAY")
async def attempts_spaced_by_delay(ctx: CaseContext) -> None:
    """Successive attempts are the declared retry delay apart, within the tolerance."""
    await retries.check_delay(ctx, LISTEN)


@case("CALLBACK-RETRY-STOPS")
async def any_2xx_ends_retries(ctx: CaseContext) -> None:
    """After 500, any 2xx answer ends the retries at once."""
    await retries.check_stops(ctx, LISTEN)


@case("CALLBACK-RETRY-UNANSWERED")
async def unanswered_attempts_retried(ctx: CaseContext) -> None:
    """An attempt held unanswered, one dropped, and one refused are each retried."""
    await retries.check_unanswered(ctx, LISTEN)


@case("EXTRA-IN-CALLBACK")
async def extra_in_delivery(ctx: CaseContext) -> None:
    """extra=KEY:VALUE comes back in the delivery's metadata.extra."""
    params = [("extra", f"{EXTRA_KEY}:{EXTRA_VALUE}")]
    box, _ = await delivery.delivered(ctx, literal_extra(LISTEN), "extra", params=params)
    got = _metadata(ctx, box).get("extra")
    ctx.check(
        got == {EXTRA_KEY: EXTRA_VALUE},
        f"extra={EXTRA_KEY}:{EXTRA_VALUE} was sent; the delivery's metadata.extra is {got!r}, "
        f"expected {{{EXTRA_KEY!r}: {EXTRA_VALUE!r}}}",
    )
