"""PROJECTS: Get All Requests: its page limit, filters, date range, tags and the kinds of
request (streams, speech) it lists."""

from __future__ import annotations

import asyncio
from typing import Any

from conformance.cases.kit.context import CaseContext
from conformance.cases.kit.delivery import SPEAK_PATH, SPEAK_TEXT
from conformance.cases.kit.management import eventually, project_path, shaped, unique
from conformance.cases.kit.registry import case
from conformance.cases.kit.streams import Plan, play
from conformance.cases.kit.walk import get
from conformance.cases.projects.shared import PAST, recent, tagged
from conformance.wire import audio
from conformance.wire.http import Exchange, Params

LISTED = "1000"
"""The largest page Get All Requests allows: a run's own requests are among the newest."""
PAGE_LOOKS = 3
"""Times pages 0 and 1 are asked for together: requests made meanwhile by other cases shift the
pages (newest first), so only pages equal every time mean `page` is ignored."""


async def listed(ctx: CaseContext, params: Params = ()) -> tuple[Exchange, list[dict[str, Any]]]:
    """One page of GET .../requests with these parameters, valid against requests-list.json."""
    exchange = await ctx.client.request("GET", project_path(ctx, "/requests"), params=params)
    body = shaped(ctx, exchange, "requests-list", {200})
    return exchange, [r for r in body["requests"] if isinstance(r, dict)]


def code_of(record: dict[str, Any]) -> float | None:
    """A listed request's status code: the record's, else its response's (None when neither)."""
    for where in (record, record.get("response")):
        code = where.get("code") if isinstance(where, dict) else None
        if isinstance(code, int | float) and not isinstance(code, bool):
            return float(code)
    return None


def tags_of(record: dict[str, Any]) -> list[str] | None:
    """response.details.tags of a listed request; None while its response is not logged."""
    response = record.get("response")
    if not isinstance(response, dict):
        return None
    details = response.get("details")
    tags = details.get("tags") if isinstance(details, dict) else None
    return [str(t) for t in tags] if isinstance(tags, list) else []


@case("PROJECTS-REQUESTS-LIMIT")
async def requests_paged(ctx: CaseContext) -> None:
    """No limit lists at most 10; limit=2 at most 2; page 1 holds other requests than page 0."""
    for index in range(3):
        await tagged(ctx, unique(f"page{index}"))
    default, records = await listed(ctx)
    ctx.check(
        len(records) <= 10,
        f"{default.describe()}: {len(records)} requests without limit; the default is 10",
        on=default,
    )
    first, page0 = await listed(ctx, [("limit", "2")])
    ctx.check(len(page0) <= 2, f"{first.describe()}: {len(page0)} requests with limit=2", on=first)
    for _ in range(PAGE_LOOKS):
        (first, page0), (second, page1) = await asyncio.gather(
            listed(ctx, [("limit", "2")]), listed(ctx, [("limit", "2"), ("page", "1")])
        )
        ids0 = [r.get("request_id") for r in page0]
        ids1 = [r.get("request_id") for r in page1]
        if ids0 != ids1:
            break
    if len(page0) < 2 or not page1:
        ctx.skip(f"too few requests listed to page through ({len(page0)} and {len(page1)})")
    ctx.check(
        ids0 != ids1,
        f"{second.describe()}: page 1 lists the same requests as page 0 ({ids0}), "
        f"{PAGE_LOOKS} times asked together",
        on=second,
    )


async def _failed_request(ctx: CaseContext) -> Exchange:
    """A request by the run's key that is refused (alternatives=two): a failed request."""
    clip = audio.phrase()
    return await ctx.client.request(
        "POST",
        "/v1/listen",
        params=[("alternatives", "two"), ("tag", unique("failed"))],
        content=clip.wav,
        content_type=clip.content_type,
    )


@case("PROJECTS-REQUESTS-FILTERS")
async def requests_filtered(ctx: CaseContext) -> None:
    """status=succeeded lists no failure, status=failed no success, endpoint=listen no speak."""
    await tagged(ctx, unique("ok"))
    await _failed_request(ctx)
    if ctx.config.declares("speak"):
        await ctx.client.request(
            "POST", SPEAK_PATH, params=[("tag", unique("speak"))], json_body={"text": SPEAK_TEXT}
        )
    judged = 0
    for status in ("succeeded", "failed"):
        exchange, records = await listed(ctx, [("status", status), ("limit", LISTED), *recent()])
        codes = [c for c in map(code_of, records) if c is not None]
        judged += len(codes)
        odd = sorted({int(c) for c in codes if (c >= 400 if status == "succeeded" else c < 300)})
        ctx.check(
            not odd,
            f"{exchange.describe()}: status={status} lists requests with the codes {odd} "
            "(succeeded is a code below 300, failed 400 or more)",
            on=exchange,
        )
    exchange, records = await listed(ctx, [("endpoint", "listen"), ("limit", LISTED), *recent()])
    paths = [str(r.get("path", "")) for r in records]
    spoken = [p for p in paths if p.startswith(SPEAK_PATH)]
    ctx.check(
        not spoken,
        f"{exchange.describe()}: endpoint=listen lists {len(spoken)} requests to {SPEAK_PATH}",
        on=exchange,
    )
    if not judged:
        ctx.skip("no listed request carries a code, so the status filter cannot be judged")


@case("PROJECTS-REQUESTS-RANGE")
async def requests_in_range(ctx: CaseContext) -> None:
    """A range in 2000 lists none of the run's requests; one from yesterday lists a new one."""
    request_id = await tagged(ctx, unique("range"))
    exchange, records = await listed(ctx, [*PAST, ("limit", LISTED)])
    ids = {r.get("request_id") for r in records}
    ctx.check(
        request_id not in ids,
        f"{exchange.describe()}: request {request_id}, made now, is listed for "
        "start=2000-01-01&end=2000-01-02",
        on=exchange,
    )

    async def look() -> tuple[Exchange, set[Any]]:
        seen, found = await listed(ctx, [*recent(), ("limit", LISTED)])
        return seen, {r.get("request_id") for r in found}

    seen, found = await eventually(ctx, look, lambda answer: request_id in answer[1])
    ctx.check(
        request_id in found,
        f"{seen.describe()}: request {request_id}, made now, is not listed in the range "
        f"from yesterday to tomorrow within {ctx.config.timing.observation:g} s",
        on=seen,
    )


async def _record(ctx: CaseContext, request_id: str) -> tuple[Exchange, dict[str, Any] | None]:
    """The listed record of one request (request_id filter, else among the newest 1000), looked
    at until its response is logged."""

    async def look() -> tuple[Exchange, dict[str, Any] | None]:
        params = [("request_id", request_id), ("limit", LISTED), *recent()]
        exchange, records = await listed(ctx, params)
        found = [r for r in records if r.get("request_id") == request_id]
        return exchange, (found[0] if found else None)

    return await eventually(
        ctx, look, lambda answer: answer[1] is not None and tags_of(answer[1]) is not None
    )


@case("PROJECTS-REQUESTS-TAGS")
async def requests_listed_with_tags(ctx: CaseContext) -> None:
    """A tagged request is listed with its tag."""
    tag = unique("listed")
    request_id = await tagged(ctx, tag)
    exchange, record = await _record(ctx, request_id)
    ctx.check(
        record is not None,
        f"{exchange.describe()}: request {request_id} (tag={tag}) is not listed within "
        f"{ctx.config.timing.observation:g} s",
        on=exchange,
    )
    assert record is not None
    tags = tags_of(record)
    if tags is None:
        ctx.skip(f"request {request_id} is listed without a response yet (Pending)")
    ctx.check(
        tag in tags,
        f"{exchange.describe()}: request {request_id} made with tag={tag} is listed with the "
        f"tags {tags!r} (response.details.tags); document 002 says Get All Requests shows them",
        on=exchange,
    )


async def _stream_id(ctx: CaseContext, tag: str) -> str:
    """Play a short tagged stream; its request id (or blocked when it did not open)."""
    stream = await play(ctx, Plan(params=(("interim_results", "false"), ("tag", tag))))
    ids = [
        get(m.body, "metadata.request_id")
        if m.body.get("type") == "Results"
        else m.body.get("request_id")
        for m in stream.messages
        if isinstance(m.body, dict)
    ]
    found = [i for i in ids if isinstance(i, str) and i]
    if not stream.opened or not found:
        ctx.blocked("STREAM-AUTH-HEADER", f"a stream with tag={tag} gave no request_id")
    return found[0]


async def _speak_id(ctx: CaseContext, tag: str) -> str | None:
    """Ask for speech with a tag; its dg-request-id (None when the answer had none)."""
    exchange = await ctx.client.request(
        "POST", SPEAK_PATH, params=[("tag", tag)], json_body={"text": SPEAK_TEXT}
    )
    if exchange.status != 200:
        ctx.blocked("SPEAK-AUDIO", f"{exchange.describe()}: speech with tag={tag} was refused")
    return exchange.response_headers.get("dg-request-id")


@case("PROJECTS-REQUESTS-KINDS")
async def streams_and_speech_listed(ctx: CaseContext) -> None:
    """A stream and a speak request are listed, not only pre-recorded listen."""
    kinds = [k for k in ("streaming", "speak") if ctx.config.declares(k)]
    if not kinds:
        ctx.skip("the target declares neither streaming nor speak")
    tag = unique("kinds")
    wanted: dict[str, str | None] = {}
    if "streaming" in kinds:
        wanted["stream"] = await _stream_id(ctx, tag)
    if "speak" in kinds:
        wanted["speak"] = await _speak_id(ctx, tag)

    def missing(records: list[dict[str, Any]]) -> list[str]:
        ids = {r.get("request_id") for r in records}
        speech = [r for r in records if str(r.get("path", "")).startswith(SPEAK_PATH)]
        lost = [kind for kind, rid in wanted.items() if rid is not None and rid not in ids]
        if "speak" in wanted and wanted["speak"] is None and not speech:
            lost.append("speak")
        return lost

    async def look() -> tuple[Exchange, list[dict[str, Any]]]:
        return await listed(ctx, [*recent(), ("limit", LISTED)])

    exchange, records = await eventually(ctx, look, lambda answer: not missing(answer[1]))
    lost = missing(records)
    ctx.check(
        not lost,
        f"{exchange.describe()}: the {' and '.join(lost)} request(s) the run just made "
        f"({', '.join(f'{k} {v}' for k, v in wanted.items())}, tag={tag}) are not listed "
        f"within {ctx.config.timing.observation:g} s; only {len(records)} others",
        on=exchange,
    )
