"""TAG: tag=VALUE accepted within its limit, and observable where document 002 says: the request
log (GET .../requests/{request_id}) and usage filtered by tag (GET .../usage?tag=VALUE)."""

from __future__ import annotations

import asyncio

from ..wire import audio
from ..wire.http import Params
from .context import LISTEN_ROUTE, CaseContext, expect_transcription
from .management import key_authorization, legacy, listen_as, logged_tags, unique, usable_key
from .management import usage_count as counted
from .registry import case
from .walk import get

LIMIT = 128
"""Characters per tag (document 002)."""


async def _accepted(ctx: CaseContext, params: Params, what: str) -> None:
    exchange = await ctx.transcribe(audio.mono(), params)
    if exchange.status != 200:
        ctx.blocked(LISTEN_ROUTE, f"{exchange.describe()}: {what} should be accepted")


@case("TAG-ACCEPTED")
async def tags_accepted(ctx: CaseContext) -> None:
    """One tag, two tags, and a tag with an encoded space are each accepted."""
    await _accepted(ctx, [("tag", "marketing")], "tag=marketing")
    await _accepted(ctx, [("tag", "marketing"), ("tag", "legal")], "tag=marketing&tag=legal")
    await _accepted(ctx, [("tag", "marketing team")], "tag=marketing+team")


@case("TAG-LIMIT")
async def tag_at_limit_accepted(ctx: CaseContext) -> None:
    """A tag of 128 characters is accepted."""
    await _accepted(ctx, [("tag", "t" * LIMIT)], f"a tag of {LIMIT} characters")


@case("TAG-LIMIT-ENFORCED")
async def tag_over_limit_refused(ctx: CaseContext) -> None:
    """A tag of 129 characters gets 400."""
    await ctx.listen_route()
    exchange = await ctx.transcribe(audio.mono(), [("tag", "t" * (LIMIT + 1))])
    ctx.check(
        exchange.status == 400,
        f"{exchange.describe()}: a tag of {LIMIT + 1} characters is over the documented limit "
        f"of {LIMIT}; expected 400",
    )


async def _tagged_request(
    ctx: CaseContext, tag: str, authorization: str | None = None
) -> tuple[str, str]:
    """Transcribe with one tag; (request id, what was sent) for the messages."""
    params = [("tag", tag)]
    if authorization is None:
        exchange = await ctx.transcribe(audio.mono(), params)
    else:
        exchange = await listen_as(ctx, authorization, params)
    request_id = get(expect_transcription(exchange), "metadata.request_id")
    ctx.check(
        isinstance(request_id, str) and request_id != "",
        f"{exchange.describe()}: metadata.request_id is {request_id!r}",
    )
    return str(request_id), exchange.describe()


@case("TAG-REQUEST-LOG")
async def request_log_shows_tags(ctx: CaseContext) -> None:
    """GET .../requests/{request_id} of a tagged request lists its tag."""
    ctx.needs("usage")
    tag = unique("tag")
    request_id, sent = await _tagged_request(ctx, tag)
    tags = await logged_tags(ctx, request_id)
    if tags is None:
        ctx.skip(
            f"{sent} with tag={tag}: GET .../requests/{request_id} did not show the request "
            f'logged (404, or "response": null) within {ctx.config.timing.observation:g} s; '
            "the Logs & Usage page calls such a request Pending, so nothing can be judged yet"
        )
    ctx.check(
        tag in tags,
        f"{sent} with tag={tag}: GET .../requests/{request_id} shows the tags {tags!r} "
        "(response.details.tags); the document says the request's tags are identifiable there",
    )


@case("TAG-USAGE-FILTER")
async def usage_counts_only_tagged(ctx: CaseContext) -> None:
    """usage?tag=T counts the two requests tagged T, not one tagged otherwise; an unused tag 0."""
    ctx.needs("usage")
    tag, other, unused = unique("tag"), unique("other"), unique("unused")
    await asyncio.gather(
        _tagged_request(ctx, tag),
        ctx.transcribe(audio.stereo(), [("tag", tag)]),
        _tagged_request(ctx, other),
    )
    for value, expected in ((tag, 2), (unused, 0)):
        count = await counted(ctx, value, expected)
        ctx.check(
            count == expected,
            f"GET .../usage?tag={value} counts {count} requests; {expected} were sent with that "
            f"tag (and 1 with tag={other}, besides the run's untagged ones)",
        )


@case("TAG-KEY-TAGS")
async def key_tags_apply_to_requests(ctx: CaseContext) -> None:
    """A request made with a key created with a tag carries that tag in the request log."""
    ctx.needs("keys")
    ctx.needs("usage")
    if legacy(ctx):
        ctx.skip("the legacy key API of document 004 has no key tags")
    key_tag, request_tag = unique("keytag"), unique("tag")
    key_id, secret = await usable_key(ctx, [key_tag])
    exchange = await listen_as(ctx, key_authorization(ctx, key_id, secret), [("tag", request_tag)])
    if exchange.status == 401:
        ctx.blocked(
            "KEYS-AUTHENTICATES", f"{exchange.describe()}: the created key does not authenticate"
        )
    request_id = str(get(expect_transcription(exchange), "metadata.request_id"))
    tags = await logged_tags(ctx, request_id) or []
    if request_tag not in tags:
        ctx.blocked(
            "TAG-REQUEST-LOG",
            f"GET .../requests/{request_id} does not show even the request's own tag {request_tag}",
        )
    ctx.check(
        key_tag in tags,
        f"key {key_id} was created with tags [{key_tag}]; the request it made "
        f"({exchange.describe()}, tag={request_tag}) shows the tags {tags} in the request log",
    )
