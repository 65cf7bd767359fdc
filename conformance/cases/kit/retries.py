"""Shared by the CALLBACK and SPEAK cases: retries of a delivery the receiver did not accept
(answered non-2xx, held, dropped, or refused), their number, spacing and end."""

from __future__ import annotations

import asyncio
import json
import statistics
import time

from conformance.cases.kit import attempts as schedule
from conformance.cases.kit import delivery
from conformance.cases.kit.context import CaseContext
from conformance.cases.kit.delivery import Endpoint
from conformance.cases.kit.walk import ordinal_list
from conformance.wire.http import Exchange
from conformance.wire.mailbox import CLOSE, HANG, Mailbox
from conformance.wire.serving import Door

SUCCESSES = (200, 204, 299)
"""2xx answers that must each end the retries: both ends of the range, and the one without a
body."""
FAILING = "failing"
"""The label of each endpoint's callback request whose every attempt is refused (500, then 503,
then 500 until the target gives up): RETRY, RETRY-LIMIT and RETRY-DELAY read its one run."""


def _same_content(box: Mailbox) -> bool:
    """Whether every attempt carries the same result: equal JSON documents (key order and white
    space may change when a target serialises again), else equal bytes (audio)."""
    bodies = [d.body for d in box.deliveries]
    if all(d.content_type == "application/json" for d in box.deliveries):
        try:
            documents = [json.loads(body) for body in bodies]
        except ValueError:
            return len(set(bodies)) == 1
        return all(document == documents[0] for document in documents)
    return len(set(bodies)) == 1


def _limit(ctx: CaseContext) -> int:
    """Attempts allowed in all: the first and --retry-count retries."""
    return ctx.config.retry_count + 1


async def failing(ctx: CaseContext, endpoint: Endpoint) -> Mailbox:
    """The run's callback request whose attempts are all refused (see FAILING), once its first
    attempt came."""
    script = (500, 503, *[500] * (_limit(ctx) + 10))
    box, _ = await delivery.delivered(ctx, endpoint, FAILING, script=script, share=True)
    return box


async def check_retried(ctx: CaseContext, endpoint: Endpoint) -> None:
    """A delivery answered 500 then 503 comes again, with the same body."""
    box = await failing(ctx, endpoint)
    got = await delivery.attempts(ctx, box, 3)
    ctx.check(
        got >= 3,
        f"the first attempt was answered 500 and the second 503, so a third was due within "
        f"{ctx.config.timing.spacing_bounds(ctx.config.retry_delay)[1]:.3g} s of the "
        f"last; {got} attempt(s) came",
    )
    ctx.check(
        _same_content(box),
        f"the retried attempts carry different bodies (sizes "
        f"{[len(d.body) for d in box.deliveries]}); a retry should resend the same result",
    )


async def check_limit(ctx: CaseContext, endpoint: Endpoint) -> None:
    """A delivery always answered 500 stops after retry_count retries."""
    most = _limit(ctx)
    box = await failing(ctx, endpoint)
    got = await delivery.attempts(ctx, box, most + 1)
    ctx.check(
        got <= most,
        f"every attempt was refused (500, 503, then 500) and {got} attempts came; at most {most} "
        f"(the first and {ctx.config.retry_count} retries) are allowed",
    )


async def check_delay(ctx: CaseContext, endpoint: Endpoint) -> None:
    """Successive attempts are the declared retry delay apart, within the tolerance."""
    delay = ctx.config.retry_delay
    early, late = ctx.config.timing.spacing_bounds(delay)
    most = _limit(ctx)
    box = await failing(ctx, endpoint)
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


async def check_stops(ctx: CaseContext, endpoint: Endpoint) -> None:
    """After 500, any 2xx answer ends the retries at once."""

    async def after(status: int) -> tuple[int, int]:
        box, _ = await delivery.delivered(ctx, endpoint, f"stops-{status}", script=(500, status))
        return status, await delivery.attempts(ctx, box, 3)

    counts = await asyncio.gather(*(after(status) for status in SUCCESSES))
    if any(got < 2 for _, got in counts):
        ctx.blocked(f"{endpoint.prefix}-RETRY", "an attempt answered 500 was not retried")
    wrong = [f"{status} was followed by another attempt" for status, got in counts if got > 2]
    ctx.check(not wrong, f"after a 500, the retry was answered 2xx, yet {ordinal_list(wrong)}")


async def _refused_then_retried(
    ctx: CaseContext, request: asyncio.Future[Exchange], box: Mailbox, door: Door
) -> str | None:
    """Wait for an attempt at a mailbox whose address refused connections until its door
    opened; what went wrong, or None (also when the target did not take the request)."""
    exchange = await request
    if delivery.accepted_request_id(exchange) is None:
        ctx.note(
            f"a refused connection was not tested: the request for a callback to "
            f"{box.url} was not accepted ({exchange.describe()})"
        )
        return None
    timing, delay = ctx.config.timing, ctx.config.retry_delay
    window = timing.refusal_hold(delay, ctx.config.retry_count) + timing.next_attempt(delay)
    arrived = await box.wait_for(1, window)
    delivery.keep_evidence(ctx, box)
    if not arrived:
        return (
            f"a second request's callback address ({box.url}) refused connections until "
            f"{timing.refusal_hold(delay, ctx.config.retry_count):.3g} s after the first "
            f"request's first attempt came, then accepted them; no attempt came there in "
            f"{window:.3g} s, so the refused attempt was not retried"
        )
    opened = door.opened_at or time.monotonic()
    ctx.note(
        f"{box.url} refused connections for {opened - box.opened:.3f} s after the request; "
        f"an attempt came {box.deliveries[0].arrived - opened:.3f} s after it began to accept "
        "them (a refusal is not observable: the target's first attempt is presumed to have met "
        "it, as the other request's first attempt had come by then)"
    )
    return None


def _outran_the_hold(ctx: CaseContext, twin: Mailbox) -> str | None:
    """Why a refused address's retries may all have come before it opened, judging by the
    spacing of the other request's retries (a target retrying with no delay), or None."""
    spacings = twin.spacings()
    if not spacings:
        return None
    config = ctx.config
    hold = config.timing.refusal_hold(config.retry_delay, config.retry_count)
    schedule = min(spacings) * config.retry_count
    if schedule >= hold:
        return None
    return (
        f"the other request's retries came as little as {min(spacings):.3g} s apart, so "
        f"{config.retry_count} retries could end in {schedule:.3g} s, before the address "
        f"opened ({hold:.3g} s); the spacing itself is judged by RETRY-DELAY"
    )


async def check_unanswered(ctx: CaseContext, endpoint: Endpoint) -> None:
    """An attempt held unanswered, one dropped, and (on a loopback receiver) one whose
    connection was refused are each retried."""
    delivery.applies(ctx, endpoint)
    behind = ctx.receiver.behind_door("refused")
    request = None
    if behind is None:
        ctx.note("a refused connection is tested only with a loopback receiver the target reaches")
    else:
        request = asyncio.ensure_future(endpoint.submit(ctx, [("callback", behind[0].url)]))
    opening: asyncio.TimerHandle | None = None
    refused: asyncio.Future[str | None] | None = None
    try:
        box, _ = await delivery.delivered(ctx, endpoint, "unanswered", script=(HANG, CLOSE))
        if behind is not None and request is not None:
            box_behind, door = behind
            hold = ctx.config.timing.refusal_hold(ctx.config.retry_delay, ctx.config.retry_count)
            opening = asyncio.get_running_loop().call_later(hold, door.open)
            refused = asyncio.ensure_future(_refused_then_retried(ctx, request, box_behind, door))
        got = await delivery.attempts(ctx, box, 3)
        problem = await refused if refused is not None else None
        outran = _outran_the_hold(ctx, box) if problem is not None else None
        if outran is not None:
            ctx.note(f"{problem}; not judged: {outran}")
            problem = None
    finally:
        if opening is not None:
            opening.cancel()
        for pending in (request, refused):
            if pending is not None:
                pending.cancel()
    ctx.check(
        got >= 3,
        f"attempt 1 was held unanswered until the target gave up and attempt 2 was dropped "
        f"before any answer; {got} attempt(s) came, expected a retry after each",
    )
    ctx.check(problem is None, problem or "")
