"""CALLBACK: pre-recorded requests answered at once, then delivered to the suite's receiver.

Each case has a callback path of its own; waits are event waits whose deadlines follow the
declared retry delay (conformance/timing.py), so a 30 s schedule runs beside the other cases.
The checks SPEAK shares are registered from one table (kit/twins.py); these are LISTEN's own.
"""

from __future__ import annotations

import json
from typing import Any

from conformance.cases.extra import literal_extra
from conformance.cases.kit import delivery, twins
from conformance.cases.kit.context import LISTEN_SHAPE, CaseContext
from conformance.cases.kit.delivery import LISTEN
from conformance.cases.kit.registry import case
from conformance.cases.kit.walk import get, ordinal_list
from conformance.contract import shapes
from conformance.wire.mailbox import Mailbox

EXTRA_KEY, EXTRA_VALUE = "conformanceRun", "callback-check"

twins.register(LISTEN)


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
