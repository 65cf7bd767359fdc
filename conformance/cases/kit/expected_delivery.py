"""The delivery a callback request should bring, in words: comment lines under a callback case's
reproducer, so a person replaying it with a receiver of their own knows what to look for."""

from __future__ import annotations

import json
from collections.abc import Sequence

from conformance.cases.kit.context import CaseContext
from conformance.wire.http import Params
from conformance.wire.mailbox import CLOSE, HANG, Answer
from conformance.wire.reproduce import PASSWORD_PLACEHOLDER

HEADING = "Expected delivery (to replay this, put a receiver of your own in the callback URL):"


def comment(lines: Sequence[str]) -> str:
    """Lines as comments, valid in a shell and in Python."""
    return "\n".join(f"# {line}" for line in lines)


def _answered(ctx: CaseContext, answer: Answer) -> str:
    """How the suite's receiver treated one attempt."""
    if answer == HANG:
        deadline = ctx.config.timing.sender_timeout()
        return f"held unanswered until the target gave up (it should within {deadline:g} s)"
    if answer == CLOSE:
        return "dropped before any answer"
    return f"answered {answer}"


def _retries(ctx: CaseContext, script: Sequence[Answer]) -> str:
    """What the receiver answered, and the retries (or their absence) that should follow."""
    config, timing = ctx.config, ctx.config.timing
    early, late = timing.spacing_bounds(config.retry_delay)
    retried = (
        f"each failed attempt retried with the same body {early:.3g}-{late:.3g} s after it ended "
        f"(--retry-delay {config.retry_delay:g} s, within {timing.retry_tolerance:.0%} and "
        f"{timing.retry_slack:g} s)"
    )
    limit = config.retry_count + 1
    if not script:
        return "the suite's receiver answered attempt 1 with 200: no attempt after it"
    if len(script) >= limit and not any(isinstance(a, int) and 200 <= a <= 299 for a in script):
        settled = len(script) - 1
        while settled and script[settled - 1] == script[-1]:
            settled -= 1
        first = [f"attempt {n} was {_answered(ctx, a)}, " for n, a in enumerate(script, 1)]
        rest = "every later one" if settled else "every attempt"
        return (
            f"the suite's receiver: {''.join(first[:settled])}{rest} was "
            f"{_answered(ctx, script[-1])}; {retried}; at most {config.retry_count} retries "
            f"({limit} attempts in all)"
        )
    steps = [f"attempt {n} was {_answered(ctx, a)}" for n, a in enumerate(script, 1)]
    last = script[-1]
    if not (isinstance(last, int) and 200 <= last <= 299):
        steps.append(f"attempt {len(script) + 1} answered 200")
    answers = ", ".join(steps)
    return f"the suite's receiver: {answers}; {retried}; a 2xx ends them: no attempt after it"


def _extra(params: Params) -> dict[str, str]:
    """The extra=KEY:VALUE pairs sent, as metadata.extra should echo them."""
    pairs = (value.partition(":") for name, value in params if name == "extra")
    return {key: value for key, _, value in pairs}


def delivery(
    ctx: CaseContext,
    delivers: str,
    path: str,
    params: Params,
    script: Sequence[Answer],
    user: str | None,
) -> list[str]:
    """The request, headers, body and timing of the delivery a callback request should bring."""
    method = next((v for k, v in params if k == "callback_method"), "POST").upper()
    deadline = ctx.config.timing.first_delivery()
    headers = []
    key_id = ctx.config.credentials.api_key_id
    if key_id:
        headers.append(f"dg-token: {key_id} (the API key's identifier)")
    if user is not None:
        headers.append(
            f"Authorization: Basic base64({user}:{PASSWORD_PLACEHOLDER}), the URL's credentials "
            f"(set {PASSWORD_PLACEHOLDER[1:]} to your receiver's password), which appear "
            "nowhere in the path or query"
        )
    extra = _extra(params)
    body = delivers + (f"; metadata.extra {json.dumps(extra)}" if extra else "")
    return [
        HEADING,
        "  the request answered at once: 2xx JSON holding request_id, and no results",
        f"  then {method} {path} at the callback URL's host, first attempt within {deadline:g} s",
        *(f"  header {header}" for header in headers),
        f"  body: {body}",
        f"  {_retries(ctx, script)}",
    ]
