"""The project's management endpoints: requests and usage (keys are in keys_api.py)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from .auth import Caller
from .context import Context
from .errors import ApiError
from .requests_log import LoggedRequest

Json = dict[str, Any]


def manager(request: Request, ctx: Context) -> Caller:
    """Authenticate a management call: an API key of this server's project (no access token)."""
    caller = ctx.authenticate(request.headers.get("authorization"))
    if caller.kind == "access_token":
        raise ApiError(403, "Access tokens cannot use the management API.", "FORBIDDEN")
    project_id = request.path_params.get("project_id")
    if project_id is not None and project_id != ctx.settings.project_id:
        raise ApiError(404, f"No project {project_id!r}.", "NOT_FOUND")
    return caller


def request_json(entry: LoggedRequest, ctx: Context) -> Json:
    """ProjectRequestResponse of the official spec; tags under response.details as Deepgram does
    (and, imitating the SDKs' record, "callback": null under bare-request-record)."""
    tags = [] if ctx.settings.has("request-log-drops-tags") else list(entry.tags)
    record: Json = {
        "request_id": entry.request_id,
        "project_uuid": ctx.settings.project_id,
        "created": entry.created,
        "path": entry.path,
        "api_key_id": entry.api_key_id or "",
        "response": {
            "details": {"duration": entry.duration, "method": "sync", "tags": tags},
            "code": entry.code,
            "completed": entry.created,
        },
        "code": entry.code,
        "deployment": "hosted",
    }
    if ctx.settings.imitates("bare-request-record"):
        record["callback"] = None
    return record


async def list_requests(request: Request, ctx: Context) -> Response:
    """GET /v1/projects/{project_id}/requests: newest first, one page."""
    manager(request, ctx)
    entries = ctx.requests.all()
    return JSONResponse(
        {"page": 0, "limit": len(entries), "requests": [request_json(e, ctx) for e in entries]}
    )


async def get_request(request: Request, ctx: Context) -> Response:
    """GET /v1/projects/{project_id}/requests/{request_id}: the record in the official spec's
    {"request": ...} wrapper, or bare as the SDKs read it (bare-request-record)."""
    manager(request, ctx)
    entry = ctx.requests.get(request.path_params["request_id"])
    if entry is None:
        raise ApiError(404, "No such request.", "NOT_FOUND")
    record = request_json(entry, ctx)
    if ctx.settings.imitates("bare-request-record"):
        return JSONResponse(record)
    return JSONResponse({"request": record})


def _day(entry: LoggedRequest) -> date:
    return datetime.fromisoformat(entry.created.replace("Z", "+00:00")).date()


async def usage(request: Request, ctx: Context) -> Response:
    """GET /v1/projects/{project_id}/usage: requests and hours per day, filtered by tag."""
    manager(request, ctx)
    tags = request.query_params.getlist("tag")
    entries = ctx.requests.all()
    if tags and not ctx.settings.has("usage-ignores-tag"):
        entries = ctx.requests.tagged(tags)
    days: dict[date, list[LoggedRequest]] = defaultdict(list)
    for entry in entries:
        days[_day(entry)].append(entry)
    today = datetime.now(UTC).date()
    start = min(days, default=today).isoformat()
    results = [
        {
            "start": day.isoformat(),
            "end": day.isoformat(),
            "hours": round(sum(e.duration for e in found) / 3600, 6),
            "total_hours": round(sum(e.duration for e in found) / 3600, 6),
            "requests": len(found),
        }
        for day, found in sorted(days.items())
    ]
    return JSONResponse(
        {
            "start": request.query_params.get("start", start),
            "end": request.query_params.get("end", today.isoformat()),
            "resolution": {"units": "day", "amount": 1},
            "results": results,
        }
    )


Handler = Callable[[Request, Context], Awaitable[Response]]


def binder(ctx: Context) -> Callable[[Handler], Callable[[Request], Awaitable[Response]]]:
    """Turns handlers taking (request, ctx) into Starlette endpoints bound to ctx."""

    def bind(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            return await handler(request, ctx)

        return endpoint

    return bind


def routes(ctx: Context) -> list[BaseRoute]:
    """The requests and usage endpoints, bound to this server's context."""
    bind = binder(ctx)
    base = "/v1/projects/{project_id}"
    return [
        Route(f"{base}/requests", bind(list_requests), methods=["GET"]),
        Route(f"{base}/requests/{{request_id}}", bind(get_request), methods=["GET"]),
        Route(f"{base}/usage", bind(usage), methods=["GET"]),
    ]
