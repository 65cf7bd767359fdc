"""The project's request log and usage endpoints (keys are in keys_api.py, the rest of the
management API in management.py): Get All Requests with the official spec's filters, Get Request,
Summarize Usage."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from ..model.context import Context
from ..model.errors import ApiError, bad_request
from ..model.faults import Fault
from ..model.requests_log import LoggedRequest
from .access import binder, manager

Json = dict[str, Any]
DEFAULT_LIMIT = 10
MAX_LIMIT = 1000
"""Get All Requests: "Number of results to return per page. Default 10. Range [1,1000]"."""
ENUMS = {
    "status": ("succeeded", "failed"),
    "endpoint": ("listen", "read", "speak", "agent"),
    "method": ("sync", "async", "streaming"),
    "deployment": ("hosted", "beta", "self-hosted"),
}
"""The official spec's enumerated request filters."""


def request_json(entry: LoggedRequest, ctx: Context, *, listed: bool = False) -> Json:
    """ProjectRequestResponse of the official spec; tags under response.details as Deepgram does
    (and, imitating the SDKs' record, "callback": null under bare-request-record)."""
    dropped = ctx.settings.has(
        Fault.REQUESTS_LIST_DROPS_TAGS if listed else Fault.REQUEST_LOG_DROPS_TAGS
    )
    tags = [] if dropped else list(entry.tags)
    details: Json = {
        "duration": entry.duration,
        "method": entry.method,
        "tags": tags,
        "features": list(entry.features),
    }
    if entry.endpoint == "speak":
        details["characters"] = entry.characters
    record: Json = {
        "request_id": entry.request_id,
        "project_uuid": ctx.settings.project_id,
        "created": entry.created,
        "path": entry.path,
        "api_key_id": entry.api_key_id or "",
        "response": {"details": details, "code": entry.code, "completed": entry.created},
        "code": entry.code,
        "deployment": "hosted",
        # beside the official record, where deepctl 0.4's `requests` reads them
        "method": entry.method,
        "duration": entry.duration,
    }
    if ctx.settings.imitates("bare-request-record"):
        record["callback"] = None
    return record


def _moment(text: str, name: str, *, end: bool) -> datetime:
    """A range bound: YYYY-MM-DD (a whole day), YYYY-MM-DDTHH:MM:SS, optionally with an offset."""
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            return datetime.combine(day + timedelta(days=1) if end else day, time(), UTC)
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise bad_request(
            f"Invalid value for `{name}`: {text!r} (YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS)."
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _created(entry: LoggedRequest) -> datetime:
    return datetime.fromisoformat(entry.created.replace("Z", "+00:00"))


def in_range(entries: list[LoggedRequest], query: QueryParams) -> list[LoggedRequest]:
    """The entries created within start and end (each optional; an end date is inclusive)."""
    start, end = query.get("start"), query.get("end")
    low = _moment(start, "start", end=False) if start else None
    high = _moment(end, "end", end=True) if end else None
    return [
        e
        for e in entries
        if (low is None or _created(e) >= low) and (high is None or _created(e) < high)
    ]


def _count(query: QueryParams, name: str, default: int, low: int, high: int) -> int:
    """A whole-number query parameter within [low, high], or 400."""
    text = query.get(name)
    if text is None:
        return default
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not value.is_integer() or not low <= value <= high:
        raise bad_request(f"Invalid value for `{name}`: {text!r} (a whole number {low}-{high}).")
    return int(value)


def _enum(query: QueryParams, name: str) -> str | None:
    """An enumerated filter's value, or 400 naming the values allowed."""
    value = query.get(name)
    if value is not None and value not in ENUMS[name]:
        raise bad_request(f"Invalid value for `{name}`: {value!r} ({', '.join(ENUMS[name])}).")
    return value


def _matches(entry: LoggedRequest, filters: dict[str, str | None]) -> bool:
    """Whether a logged request passes the status, endpoint, method and deployment filters."""
    status, endpoint, method = filters["status"], filters["endpoint"], filters["method"]
    if status is not None and entry.succeeded != (status == "succeeded"):
        return False
    if endpoint is not None and entry.endpoint != endpoint:
        return False
    if method is not None and entry.method != method:
        return False
    return filters["deployment"] in (None, "hosted")


async def list_requests(request: Request, ctx: Context) -> Response:
    """GET /v1/projects/{project_id}/requests: newest first, filtered, one page of `limit`."""
    manager(request, ctx)
    query, settings = request.query_params, ctx.settings
    limit = _count(query, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT)
    page = _count(query, "page", 0, 0, 1_000_000)
    filters = {name: _enum(query, name) for name in ENUMS}
    entries = ctx.requests.all()
    if not settings.has(Fault.REQUESTS_RANGE_IGNORED):
        entries = in_range(entries, query)
    if not settings.has(Fault.REQUESTS_FILTERS_IGNORED):
        entries = [e for e in entries if _matches(e, filters)]
    for name, field in (("request_id", "request_id"), ("accessor", "api_key_id")):
        wanted = query.get(name)
        if wanted is not None:
            entries = [e for e in entries if getattr(e, field) == wanted]
    if not settings.has(Fault.REQUESTS_LIMIT_IGNORED):
        entries = entries[page * limit : (page + 1) * limit]
    return JSONResponse(
        {
            "page": page,
            "limit": limit,
            "requests": [request_json(e, ctx, listed=True) for e in entries],
        }
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


def day_of(entry: LoggedRequest) -> date:
    """The UTC day a request was made."""
    return _created(entry).date()


def hours(entries: list[LoggedRequest]) -> float:
    """Hours of audio in these requests."""
    return round(sum(e.duration for e in entries if e.endpoint == "listen") / 3600, 6)


def used(request: Request, ctx: Context) -> list[LoggedRequest]:
    """The succeeded requests in the query's date range, filtered by tag (every one given),
    endpoint, method and accessor, as Summarize Usage and the breakdown count them."""
    query = request.query_params
    entries = [e for e in ctx.requests.all() if e.succeeded]
    if not ctx.settings.has(Fault.USAGE_RANGE_IGNORED):
        entries = in_range(entries, query)
    tags = query.getlist("tag")
    if tags and not ctx.settings.has(Fault.USAGE_IGNORES_TAG):
        entries = [e for e in entries if set(tags) <= set(e.tags)]
    for name in ("endpoint", "method"):
        value = _enum(query, name)
        if value is not None:
            entries = [e for e in entries if getattr(e, name) == value]
    accessor = query.get("accessor")
    if accessor is not None:
        entries = [e for e in entries if e.api_key_id == accessor]
    return entries


def span(request: Request, entries: list[LoggedRequest]) -> tuple[str, str]:
    """The start and end dates an answer reports: the query's, else the requests' (or today)."""
    today = datetime.now(UTC).date()
    first = min((day_of(e) for e in entries), default=today)
    return request.query_params.get("start", first.isoformat())[:10], request.query_params.get(
        "end", today.isoformat()
    )[:10]


async def usage(request: Request, ctx: Context) -> Response:
    """GET /v1/projects/{project_id}/usage: the official UsageV1Response (start, end,
    resolution) plus requests and hours per day in results."""
    manager(request, ctx)
    entries = used(request, ctx)
    days: dict[date, list[LoggedRequest]] = defaultdict(list)
    for entry in entries:
        days[day_of(entry)].append(entry)
    results = [
        {
            "start": day.isoformat(),
            "end": day.isoformat(),
            "hours": hours(found),
            "total_hours": hours(found),
            "requests": len(found),
        }
        for day, found in sorted(days.items())
    ]
    start, end = span(request, entries)
    return JSONResponse(
        {
            "start": start,
            "end": end,
            "resolution": {"units": "day", "amount": 1},
            "results": results,
        }
    )


def routes(ctx: Context) -> list[BaseRoute]:
    """The requests and usage endpoints, bound to this server's context."""
    bind = binder(ctx)
    base = "/v1/projects/{project_id}"
    return [
        Route(f"{base}/requests", bind(list_requests), methods=["GET"]),
        Route(f"{base}/requests/{{request_id}}", bind(get_request), methods=["GET"]),
        Route(f"{base}/usage", bind(usage), methods=["GET"]),
    ]
