"""TAG: tag=VALUE accepted within its limit, and observable where document 002 says: the request
log (GET .../requests/{request_id}), repeated, URL-encoded and on streams, and usage filtered by
tag (GET .../usage?tag=VALUE)."""

from __future__ import annotations

import asyncio

from conformance.cases.kit.context import (
    LISTEN_PATH,
    LISTEN_ROUTE,
    CaseContext,
    expect_transcription,
)
from conformance.cases.kit.management import (
    key_authorization,
    legacy,
    listen_as,
    logged_tags,
    unique,
    usable_key,
)
from conformance.cases.kit.management import usage_count as counted
from conformance.cases.kit.registry import case
from conformance.cases.kit.streams import Plan, closing_metadata, opened
from conformance.cases.kit.walk import get
from conformance.wire import audio
from conformance.wire.http import Exchange, Params

LIMIT = 128
"""Characters per tag (document 002)."""


async def _accepted(ctx: CaseContext, params: Params, what: str) -> None:
    """Blocked by LISTEN-RAW-BODY unless the short phrase with these parameters is transcribed."""
    exchange = await ctx.transcribe(audio.phrase(), params)
    if exchange.status != 200:
        ctx.blocked(LISTEN_ROUTE, f"{exchange.describe()}: {what} should be accepted")


async def run_tag(ctx: CaseContext) -> str:
    """The run's own tag: TAG-ACCEPTED's one tag, the tag REQUEST-LOG looks for and the tag
    USAGE-FILTER counts, on the one request all three read."""

    async def make() -> str:
        return unique("tag")

    return await ctx.fixtures.shared(("run-tag",), make)


@case("TAG-ACCEPTED")
async def tags_accepted(ctx: CaseContext) -> None:
    """One tag, two tags, and a tag with an encoded space are each accepted."""
    tag = await run_tag(ctx)
    await _accepted(ctx, [("tag", tag)], f"tag={tag}")
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
    exchange = await ctx.transcribe(audio.phrase(), [("tag", "t" * (LIMIT + 1))])
    ctx.check(
        exchange.status == 400,
        f"{exchange.describe()}: a tag of {LIMIT + 1} characters is over the documented limit "
        f"of {LIMIT}; expected 400",
    )


async def _tagged_request(ctx: CaseContext, params: Params) -> tuple[str, str]:
    """Transcribe the short phrase with a tag among these parameters (the run's one request of
    them); (request id, what was sent) for the messages."""
    exchange = await ctx.transcribe(audio.phrase(), params)
    request_id = get(expect_transcription(exchange), "metadata.request_id")
    ctx.check(
        isinstance(request_id, str) and request_id != "",
        f"{exchange.describe()}: metadata.request_id is {request_id!r}",
    )
    return str(request_id), exchange.describe()


@case("TAG-REQUEST-LOG")
async def request_log_shows_tags(ctx: CaseContext) -> None:
    """GET .../requests/{request_id} of a tagged request lists its tag."""
    tag = await run_tag(ctx)
    request_id, sent = await _tagged_request(ctx, [("tag", tag)])
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
    """usage?tag=T counts the two requests tagged T, not one tagged otherwise; an unused tag 0
    (T is the run's tag: TAG-ACCEPTED and TAG-REQUEST-LOG read its first request)."""
    tag, other, unused = await run_tag(ctx), unique("other"), unique("unused")
    await asyncio.gather(
        _tagged_request(ctx, [("tag", tag)]),
        _tagged_request(ctx, [("tag", tag), ("punctuate", "true")]),
        _tagged_request(ctx, [("tag", other)]),
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


async def _log_of(ctx: CaseContext, exchange: Exchange, what: str) -> list[str]:
    """The tags the request log shows for a tagged transcription (blocked by TAG-ACCEPTED when
    the tags were refused, by TAG-REQUEST-LOG when the request never shows tags there)."""
    if exchange.status != 200:
        ctx.blocked("TAG-ACCEPTED", f"{what}: refused")
    request_id = str(get(expect_transcription(exchange), "metadata.request_id"))
    tags = await logged_tags(ctx, request_id)
    if not tags:
        ctx.blocked(
            "TAG-REQUEST-LOG",
            f"{what}: GET .../requests/{request_id} shows no tags within "
            f"{ctx.config.timing.observation:g} s",
        )
    return tags


@case("TAG-MULTIPLE-LOGGED")
async def repeated_tags_all_logged(ctx: CaseContext) -> None:
    """tag=A&tag=B records both tags on the request (document 002's Apply Multiple Instances)."""
    first, second = unique("tag"), unique("tag")
    exchange = await ctx.transcribe(audio.phrase(), [("tag", first), ("tag", second)])
    what = f"{exchange.describe()} with tag={first}&tag={second}"
    tags = await _log_of(ctx, exchange, what)
    ctx.check(
        first in tags and second in tags,
        f"{what}: GET .../requests/{{request_id}} shows the tags {tags!r}; both were sent",
        on=exchange,
    )


@case("TAG-ENCODED")
async def encoded_tags_logged_decoded(ctx: CaseContext) -> None:
    """A tag with a space, sent as %20 and as +, is recorded as the tag itself, decoded."""
    for spelling, separator in (("%20", "%20"), ("+", "+")):
        word = unique("tag")
        path = f"{LISTEN_PATH}?tag={word}{separator}team"
        exchange = await ctx.client.request(
            "POST", path, content=audio.phrase().wav, content_type="audio/wav"
        )
        what = f"{exchange.describe()} (the space spelt {spelling})"
        tags = await _log_of(ctx, exchange, what)
        ctx.check(
            f"{word} team" in tags,
            f"{what}: the request log shows the tags {tags!r}; document 002's URL-encoded tag "
            f"is the tag {word + ' team'!r}",
            on=exchange,
        )


@case("TAG-STREAMING")
async def stream_tags_logged(ctx: CaseContext) -> None:
    """A tag given to a stream is recorded on that stream's request (Tagging is marked
    Streaming in document 002)."""
    tag = unique("tag")
    plan = Plan(params=(("interim_results", "false"), ("tag", tag)))
    stream = await opened(ctx, plan)
    ids = [m.body.get("request_id") for m in closing_metadata(stream)]
    request_id = ids[0] if ids and isinstance(ids[0], str) and ids[0] else None
    if request_id is None:
        ctx.blocked("STREAM-METADATA", f"{plan.describe()}: no closing Metadata with request_id")
    tags = await logged_tags(ctx, request_id)
    if tags is None:
        ctx.skip(
            f"{plan.describe()}: GET .../requests/{request_id} did not show the stream logged "
            f"within {ctx.config.timing.observation:g} s (Pending), so nothing can be judged"
        )
    if tag not in tags:
        ctx.blocked(
            "TAG-REQUEST-LOG",
            f"{plan.describe()}: GET .../requests/{request_id} shows the tags {tags!r}; the "
            f"stream was opened with tag={tag}",
        )
