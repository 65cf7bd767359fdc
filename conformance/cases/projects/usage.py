"""PROJECTS: Get Fields and the usage summary and breakdown over the run's date range."""

from __future__ import annotations

from typing import Any

from conformance.cases.kit.context import CaseContext
from conformance.cases.kit.management import eventually, project_path, shaped, unique
from conformance.cases.kit.registry import case
from conformance.cases.kit.walk import ordinal_list
from conformance.cases.projects.shared import PAST, conforming, recent, schema_errors, tagged
from conformance.wire.http import Exchange, Params


async def _fields(ctx: CaseContext) -> tuple[Exchange, dict[str, Any]]:
    """GET .../usage/fields for the run's range; blocked by PROJECTS-FIELDS-SCHEMA unless it is
    a 200 in the official shape."""
    path = project_path(ctx, "/usage/fields")
    exchange = await ctx.client.request("GET", path, params=recent())
    body = exchange.json() if exchange.status == 200 else None
    problems = schema_errors("usage-fields.json", body) if body is not None else ["not a 200"]
    if problems or not isinstance(body, dict):
        ctx.blocked("PROJECTS-FIELDS-SCHEMA", f"{exchange.describe()}: {ordinal_list(problems)}")
    return exchange, body


@case("PROJECTS-FIELDS-SCHEMA")
async def fields_shaped(ctx: CaseContext) -> None:
    """Get Fields answers in the official shape."""
    await tagged(ctx, unique("fields"))
    path = project_path(ctx, "/usage/fields")
    conforming(ctx, await ctx.client.request("GET", path, params=recent()), "usage-fields.json")


@case("PROJECTS-FIELDS-TAGS")
async def fields_list_tags(ctx: CaseContext) -> None:
    """A tag used in the range appears in Get Fields' tags."""
    tag = unique("field")
    await tagged(ctx, tag)
    exchange, body = await eventually(
        ctx, lambda: _fields(ctx), lambda answer: tag in answer[1].get("tags", [])
    )
    ctx.check(
        tag in body.get("tags", []),
        f"{exchange.describe()}: a request made with tag={tag} in the range, yet tags lists "
        f"{body.get('tags', [])[:10]!r} within {ctx.config.timing.observation:g} s; document 002 "
        "says Get Fields shows the tags",
        on=exchange,
    )


async def _usage(ctx: CaseContext, tag: str, dates: Params) -> tuple[Exchange, int]:
    """Summarize Usage for one tag and range: the requests it counts in results (a skip when the
    answer has the official shape, which carries no counts)."""
    params = [("tag", tag), *dates]
    exchange = await ctx.client.request("GET", project_path(ctx, "/usage"), params=params)
    body = shaped(ctx, exchange, "usage", {200})
    if "results" not in body:
        ctx.skip(
            f"{exchange.describe()}: the answer has no results, as the official UsageV1Response "
            "(start, end, resolution) has none: the range cannot be observed in that shape"
        )
    counts = [r.get("requests") for r in body["results"] if isinstance(r, dict)]
    return exchange, sum(int(c) for c in counts if isinstance(c, int | float))


@case("PROJECTS-USAGE-RANGE")
async def usage_in_range(ctx: CaseContext) -> None:
    """Summarize Usage counts a request made now in the range holding it, not in 2000."""
    tag = unique("usage-range")
    await tagged(ctx, tag)
    exchange, counted = await eventually(
        ctx, lambda: _usage(ctx, tag, recent()), lambda answer: answer[1] >= 1
    )
    if counted < 1:
        ctx.blocked("TAG-USAGE-FILTER", f"{exchange.describe()}: counts 0 requests with tag={tag}")
    past, none = await _usage(ctx, tag, PAST)
    ctx.check(
        none == 0,
        f"{past.describe()}: counts {none} requests with tag={tag} for two days of the year "
        "2000; the one request with that tag was made now",
        on=past,
    )


@case("PROJECTS-USAGE-BREAKDOWN")
async def usage_broken_down(ctx: CaseContext) -> None:
    """The usage breakdown, whole and grouped by endpoint, answers in the official shape."""
    await tagged(ctx, unique("breakdown"))
    path = project_path(ctx, "/usage/breakdown")
    for grouping in ((), [("grouping", "endpoint")]):
        exchange = await ctx.client.request("GET", path, params=[*recent(), *grouping])
        if exchange.status in (404, 405, 501):
            ctx.skip(f"{exchange.describe()}: the target does not offer the usage breakdown")
        conforming(ctx, exchange, "usage-breakdown.json")
