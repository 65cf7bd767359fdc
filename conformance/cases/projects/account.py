"""PROJECTS: the account as a client's tooling reads it: List and Get Projects (deepctl's key
check), an unknown project refused, and the optional models, members and balances listings."""

from __future__ import annotations

from conformance.cases.kit.context import CaseContext, error_body_problem
from conformance.cases.kit.management import project_path
from conformance.cases.kit.registry import case
from conformance.cases.projects.shared import conforming

UNKNOWN_PROJECT = "00000000-0000-4000-8000-00000000dead"


async def _optional(ctx: CaseContext, path: str, schema_file: str) -> None:
    """An optional listing: skipped when the target does not serve it, else in the shape."""
    exchange = await ctx.client.request("GET", path)
    if exchange.status in (404, 405, 501):
        ctx.skip(f"{exchange.describe()}: the target does not offer this optional listing")
    conforming(ctx, exchange, schema_file)


@case("PROJECTS-LIST")
async def projects_listed(ctx: CaseContext) -> None:
    """GET /v1/projects answers 200 in the official shape and lists the run's project."""
    exchange = await ctx.client.request("GET", "/v1/projects")
    body = conforming(ctx, exchange, "projects-list.json")
    ids = [p.get("project_id") for p in body["projects"] if isinstance(p, dict)]
    if ctx.config.project_id:
        ctx.check(
            ctx.config.project_id in ids,
            f"{exchange.describe()}: lists the projects {ids}, not the run's --project-id "
            f"{ctx.config.project_id} (the key's project)",
            on=exchange,
        )


@case("PROJECTS-GET")
async def project_got(ctx: CaseContext) -> None:
    """GET /v1/projects/{project_id} answers that project."""
    exchange = await ctx.client.request("GET", project_path(ctx, ""))
    body = conforming(ctx, exchange, "project.json")
    ctx.check(
        body["project_id"] == ctx.config.project_id,
        f"{exchange.describe()}: project_id is {body['project_id']!r}, not the one asked for",
        on=exchange,
    )


@case("PROJECTS-UNKNOWN")
async def unknown_project_refused(ctx: CaseContext) -> None:
    """A project that does not exist is refused with 404 or 403 and an error body."""
    exchange = await ctx.client.request("GET", f"/v1/projects/{UNKNOWN_PROJECT}")
    ctx.check(
        exchange.status in (403, 404),
        f"{exchange.describe()}: project {UNKNOWN_PROJECT} does not exist; expected 404 or 403",
        on=exchange,
    )
    problem = error_body_problem(exchange)
    ctx.check(problem is None, f"the refusal has no error body: {problem}", on=exchange)


@case("PROJECTS-MODELS")
async def models_listed(ctx: CaseContext) -> None:
    """GET /v1/models and the project's models answer in the official shape."""
    await _optional(ctx, "/v1/models", "models-list.json")
    await _optional(ctx, project_path(ctx, "/models"), "models-list.json")


@case("PROJECTS-MEMBERS")
async def members_listed(ctx: CaseContext) -> None:
    """GET .../members answers in the official shape."""
    await _optional(ctx, project_path(ctx, "/members"), "members-list.json")


@case("PROJECTS-BALANCES")
async def balances_listed(ctx: CaseContext) -> None:
    """GET .../balances answers in the official shape."""
    await _optional(ctx, project_path(ctx, "/balances"), "balances-list.json")
