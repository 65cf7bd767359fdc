"""CALLBACK: pre-recorded requests answered at once, then delivered to the suite's receiver.

Each case has a callback path of its own; waits are event waits whose deadlines follow the
declared retry delay (conformance/timing.py), so a 30 s schedule runs beside the other cases.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import statistics
from typing import Any

from .. import shapes
from ..wire.receiver import CLOSE, HANG, Mailbox
from . import delivery, schedule
from .context import CaseContext
from .delivery import LISTEN, SUCCESSES
from .registry import case
from .walk import get, ordinal_list

EXTRA_KEY, EXTRA_VALUE = "conformanceRun", "callback-check"


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
    box = await delivery.first_delivery(ctx, LISTEN, "delivery")
    first = box.deliveries[0]
    ctx.check(
        first.content_type == "application/json",
        f"the delivery's content type is {first.content_type or 'missing'}, "
        "expected application/json",
    )
    problems = shapes.problems("listen", _json(ctx, box))
    ctx.check(
        not problems,
        f"the delivered transcription breaks schemas/listen-response.json: "
        f"{ordinal_list(problems)}",
    )


@case("CALLBACK-REQUEST-ID")
async def same_request_id(ctx: CaseContext) -> None:
    """The delivered metadata.request_id is the one the immediate answer gave."""
    box, request_id = await delivery.delivered(ctx, LISTEN, "request-id")
    got = get(_json(ctx, box), "metadata").get("request_id")
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
    user, password = "conformance", secrets.token_hex(12)
    ctx.redactor.add(password)
    box, _ = await delivery.delivered(ctx, LISTEN, "hidden", userinfo=(user, password))
    first = box.deliveries[0]
    line = f"{first.path}?{first.query}"
    ctx.check(
        password not in line,
        f"the callback URL's password appears in the delivery's request line: "
        f"{first.method} {ctx.redactor.text(line)}",
    )


@case("CALLBACK-DG-TOKEN")
async def dg_token_is_key_id(ctx: CaseContext) -> None:
    """dg-token is the submitting API key's identifier."""
    await delivery.check_dg_token(ctx, LISTEN)


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
    """500 then 503 are retried until 200, with the same body."""
    await delivery.check_retried(ctx, LISTEN)


def _limit(ctx: CaseContext) -> int:
    return ctx.config.retry_count + 1


@case("CALLBACK-RETRY-LIMIT")
async def at_most_ten_retries(ctx: CaseContext) -> None:
    """A delivery always answered 500 stops after retry_count retries."""
    most = _limit(ctx)
    box, _ = await delivery.delivered(ctx, LISTEN, "limit", script=[500] * (most + 10))
    got = await delivery.attempts(ctx, box, most + 1)
    ctx.check(
        got <= most,
        f"every attempt was answered 500 and {got} attempts came; at most {most} "
        f"(the first and {ctx.config.retry_count} retries) are allowed",
    )


@case("CALLBACK-RETRY-DELAY")
async def attempts_spaced_by_delay(ctx: CaseContext) -> None:
    """Successive attempts are the declared retry delay apart, within the tolerance."""
    delay = ctx.config.retry_delay
    early, late = ctx.config.timing.spacing_bounds(delay)
    most = _limit(ctx)
    box, _ = await delivery.delivered(ctx, LISTEN, "delay", script=[500] * (most + 10))
    if await delivery.attempts(ctx, box, most) < 2:
        ctx.skip("the failed attempt was not retried, so there is no spacing to measure")
    spacings = box.spacings()[: most - 1]
    flags = schedule.flags(spacings, (early, late))
    early_ones = [
        f"attempt {n + 2} came {gap:.3f} s after attempt {n + 1} was answered"
        for n, (gap, flag) in enumerate(zip(spacings, flags, strict=True))
        if flag == schedule.EARLY
    ]
    typical = statistics.median(spacings)
    ctx.check(
        not early_ones and early <= typical <= late,
        f"{ordinal_list(early_ones) or f'the median spacing is {typical:.3f} s'}; the declared "
        f"delay is {delay:g} s, so each retry is due {early:.3g}-{late:.3g} s after the "
        "previous attempt was answered",
    )


@case("CALLBACK-RETRY-STOPS")
async def any_2xx_ends_retries(ctx: CaseContext) -> None:
    """After 500, any 2xx answer ends the retries at once."""

    async def after(status: int) -> tuple[int, int]:
        box, _ = await delivery.delivered(ctx, LISTEN, f"stops-{status}", script=(500, status))
        return status, await delivery.attempts(ctx, box, 3)

    counts = await asyncio.gather(*(after(status) for status in SUCCESSES))
    if any(got < 2 for _, got in counts):
        ctx.skip("an attempt answered 500 was not retried (see CALLBACK-RETRY)")
    wrong = [f"{status} was followed by another attempt" for status, got in counts if got > 2]
    ctx.check(not wrong, f"after a 500, the retry was answered 2xx, yet {ordinal_list(wrong)}")


@case("CALLBACK-RETRY-UNANSWERED")
async def unanswered_attempts_retried(ctx: CaseContext) -> None:
    """An attempt held unanswered, then one dropped, are each retried."""
    box, _ = await delivery.delivered(ctx, LISTEN, "unanswered", script=(HANG, CLOSE))
    got = await delivery.attempts(ctx, box, 3)
    ctx.check(
        got >= 3,
        f"attempt 1 was held unanswered until the target gave up and attempt 2 was dropped "
        f"before any answer; {got} attempt(s) came, expected a retry after each",
    )


@case("EXTRA-IN-CALLBACK")
async def extra_in_delivery(ctx: CaseContext) -> None:
    """extra=KEY:VALUE comes back in the delivery's metadata.extra."""
    params = [("extra", f"{EXTRA_KEY}:{EXTRA_VALUE}")]
    box, _ = await delivery.delivered(ctx, LISTEN, "extra", params=params)
    got = get(_json(ctx, box), "metadata").get("extra")
    ctx.check(
        got == {EXTRA_KEY: EXTRA_VALUE},
        f"extra={EXTRA_KEY}:{EXTRA_VALUE} was sent; the delivery's metadata.extra is {got!r}, "
        f"expected {{{EXTRA_KEY!r}: {EXTRA_VALUE!r}}}",
    )
