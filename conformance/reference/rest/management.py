"""The rest of the management API a client's tooling calls: List and Get Projects (the key
check of deepctl), Get Fields, the usage breakdown, models, members, balances and billing, in
the shapes of the official spec and the SDKs' types."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from ..model.context import Context
from ..model.errors import ApiError, bad_request
from ..model.faults import Fault
from ..model.requests_log import LoggedRequest
from ..model.response import MODEL_INFO, MODEL_UUID
from .access import binder, manager
from .keys_api import MEMBER
from .usage import hours, in_range, span, used

Json = dict[str, Any]
PROJECT_NAME = "Reference project"
SPEAK_MODEL_UUID = "5d3b0c1e-7a0f-4c9e-9b1a-2f6f0e8d4c22"
STT_MODEL: Json = {
    "name": MODEL_INFO["name"],
    "canonical_name": MODEL_INFO["name"],
    "architecture": MODEL_INFO["arch"],
    "languages": ["en"],
    "version": MODEL_INFO["version"],
    "uuid": MODEL_UUID,
    "batch": True,
    "streaming": True,
    "formatted_output": True,
}
TTS_MODEL: Json = {
    "name": "aura-reference-en",
    "canonical_name": "aura-reference-en",
    "architecture": "reference",
    "languages": ["en"],
    "version": "2026-01-01.0",
    "uuid": SPEAK_MODEL_UUID,
    "metadata": {"accent": "American", "tags": ["reference"], "use_cases": ["testing"]},
}
BALANCE: Json = {
    "balance_id": "a1b2c3d4-0000-4000-8000-0000000000cc",
    "amount": 200.0,
    "units": "usd",
    "purchase_order_id": "reference",
}
GROUPINGS = ("accessor", "endpoint", "feature_set", "models", "method", "tags", "deployment")
"""The breakdown's grouping enum in the official spec."""


def project(ctx: Context) -> Json:
    """The one project of this server, as GetProjectV1Response."""
    return {"project_id": ctx.settings.project_id, "name": PROJECT_NAME, "mip_opt_out": False}


async def list_projects(request: Request, ctx: Context) -> Response:
    """GET /v1/projects: the key's projects, {projects: [{project_id, name}]}."""
    manager(request, ctx)
    if ctx.settings.has(Fault.PROJECTS_LIST_404):
        raise ApiError(404, "Not found.", "NOT_FOUND")
    return JSONResponse(
        {"projects": [{"project_id": ctx.settings.project_id, "name": PROJECT_NAME}]}
    )


async def get_project(request: Request, ctx: Context) -> Response:
    """GET /v1/projects/{project_id}: one project, or 404 for another."""
    manager(request, ctx)
    found = project(ctx)
    if ctx.settings.has(Fault.PROJECT_WRONG_ID):
        found["project_id"] = "00000000-0000-4000-8000-000000000000"
    return JSONResponse(found)


def _models(entries: list[LoggedRequest]) -> list[Json]:
    """The models used, as UsageFieldsV1Response items."""
    models = []
    if any(e.endpoint == "listen" for e in entries):
        models.append(
            {
                "name": STT_MODEL["name"],
                "language": "en",
                "version": STT_MODEL["version"],
                "model_id": MODEL_UUID,
            }
        )
    if any(e.endpoint == "speak" for e in entries):
        models.append(
            {
                "name": TTS_MODEL["name"],
                "language": "en",
                "version": TTS_MODEL["version"],
                "model_id": SPEAK_MODEL_UUID,
            }
        )
    return models


async def fields(request: Request, ctx: Context) -> Response:
    """GET /v1/projects/{project_id}/usage/fields: the tags, models, methods and features of the
    requests in the range (document 002: tags are identified here)."""
    manager(request, ctx)
    entries = in_range(ctx.requests.all(), request.query_params)
    tags = sorted({t for e in entries for t in e.tags})
    if ctx.settings.has(Fault.FIELDS_DROPS_TAGS):
        tags = []
    models: list[Any] = _models(entries)
    if ctx.settings.has(Fault.FIELDS_MODELS_AS_STRINGS):
        models = [m["name"] for m in models]
    return JSONResponse(
        {
            "tags": tags,
            "models": models,
            "processing_methods": sorted({e.method for e in entries}),
            "features": sorted({f for e in entries for f in e.features}),
        }
    )


def _group_key(entry: LoggedRequest, grouping: str | None) -> tuple[str, ...]:
    """What a request is grouped by (nothing without a grouping)."""
    if grouping == "endpoint":
        return (entry.endpoint,)
    if grouping == "method":
        return (entry.method,)
    if grouping == "accessor":
        return (entry.api_key_id or "",)
    if grouping == "tags":
        return entry.tags
    if grouping == "models":
        return (MODEL_UUID if entry.endpoint == "listen" else SPEAK_MODEL_UUID,)
    if grouping == "feature_set":
        return (",".join(entry.features),)
    return ()


def _grouping(start: str, end: str, grouping: str | None, key: tuple[str, ...]) -> Json:
    """The grouping object of one breakdown result (absent fields rather than nulls, as the
    SDKs' types declare them optional strings)."""
    found: Json = {"start": start, "end": end}
    if grouping == "tags":
        found["tags"] = list(key)
    elif grouping == "models":
        found["models"] = list(key)
    elif grouping == "deployment":
        found["deployment"] = "hosted"
    elif grouping is not None:
        found[grouping] = key[0]
    return found


async def breakdown(request: Request, ctx: Context) -> Response:
    """GET /v1/projects/{project_id}/usage/breakdown: UsageBreakdownV1Response, one result per
    group of the `grouping` asked (one for the whole range without it)."""
    manager(request, ctx)
    grouping = request.query_params.get("grouping")
    if grouping is not None and grouping not in GROUPINGS:
        raise bad_request(f"Invalid value for `grouping`: {grouping!r} ({', '.join(GROUPINGS)}).")
    entries = used(request, ctx)
    start, end = span(request, entries)
    groups: dict[tuple[str, ...], list[LoggedRequest]] = defaultdict(list)
    for entry in entries:
        groups[_group_key(entry, grouping)].append(entry)
    results = [
        {
            "hours": hours(found),
            "total_hours": hours(found),
            "agent_hours": 0.0,
            "tokens_in": 0,
            "tokens_out": 0,
            "tts_characters": sum(e.characters for e in found),
            "requests": len(found),
            "grouping": _grouping(start, end, grouping, key),
        }
        for key, found in sorted(groups.items())
    ]
    body: Json = {
        "start": start,
        "end": end,
        "resolution": {"units": "day", "amount": 1},
        "results": results,
    }
    if ctx.settings.has(Fault.BREAKDOWN_NO_RESOLUTION):
        del body["resolution"]
    return JSONResponse(body)


async def list_models(request: Request, ctx: Context) -> Response:
    """GET /v1/models and /v1/projects/{project_id}/models: ListModelsV1Response."""
    manager(request, ctx)
    stt = [dict(STT_MODEL)]
    if ctx.settings.has(Fault.MODELS_WRONG_SHAPE):
        stt = [{**STT_MODEL, "languages": "en"}]
    return JSONResponse({"stt": stt, "tts": [dict(TTS_MODEL)]})


async def get_model(request: Request, ctx: Context) -> Response:
    """GET /v1/models/{model_id} (and the project's): one model, or 404."""
    manager(request, ctx)
    wanted = request.path_params["model_id"]
    for model in (STT_MODEL, TTS_MODEL):
        if wanted in (model["uuid"], model["canonical_name"]):
            return JSONResponse(dict(model))
    raise ApiError(404, f"No model {wanted!r}.", "NOT_FOUND")


async def list_members(request: Request, ctx: Context) -> Response:
    """GET /v1/projects/{project_id}/members: ListProjectMembersV1Response."""
    manager(request, ctx)
    member = {**MEMBER, "first_name": "Dev", "last_name": "Eloper", "scopes": ["owner"]}
    if ctx.settings.has(Fault.MEMBERS_WRONG_SHAPE):
        member["scopes"] = "owner"
    return JSONResponse({"members": [member]})


async def list_balances(request: Request, ctx: Context) -> Response:
    """GET /v1/projects/{project_id}/balances: ListProjectBalancesV1Response."""
    manager(request, ctx)
    balance = dict(BALANCE)
    if ctx.settings.has(Fault.BALANCES_WRONG_SHAPE):
        balance["amount"] = "200.00"
    return JSONResponse({"balances": [balance]})


async def get_balance(request: Request, ctx: Context) -> Response:
    """GET /v1/projects/{project_id}/balances/{balance_id}: one balance, or 404."""
    manager(request, ctx)
    if request.path_params["balance_id"] != BALANCE["balance_id"]:
        raise ApiError(404, "No such balance.", "NOT_FOUND")
    return JSONResponse(dict(BALANCE))


async def billing_breakdown(request: Request, ctx: Context) -> Response:
    """GET /v1/projects/{project_id}/billing/breakdown: BillingBreakdownV1Response; the
    reference bills nothing, so one result of 0 dollars for the range."""
    manager(request, ctx)
    start, end = span(request, used(request, ctx))
    return JSONResponse(
        {
            "start": start,
            "end": end,
            "resolution": {"units": "day", "amount": 1},
            "results": [{"dollars": 0.0, "grouping": {"start": start, "end": end}}],
        }
    )


async def billing_fields(request: Request, ctx: Context) -> Response:
    """GET /v1/projects/{project_id}/billing/fields: ListBillingFieldsV1Response."""
    manager(request, ctx)
    entries = in_range(ctx.requests.all(), request.query_params)
    return JSONResponse(
        {
            "accessors": sorted({e.api_key_id for e in entries if e.api_key_id}),
            "deployments": ["hosted"],
            "tags": sorted({t for e in entries for t in e.tags}),
            "line_items": {},
        }
    )


def routes(ctx: Context) -> list[BaseRoute]:
    """The projects, fields, breakdown, models, members, balances and billing endpoints."""
    bind = binder(ctx)
    base = "/v1/projects/{project_id}"
    return [
        Route("/v1/projects", bind(list_projects), methods=["GET"]),
        Route(base, bind(get_project), methods=["GET"]),
        Route(f"{base}/usage/fields", bind(fields), methods=["GET"]),
        Route(f"{base}/usage/breakdown", bind(breakdown), methods=["GET"]),
        Route("/v1/models", bind(list_models), methods=["GET"]),
        Route("/v1/models/{model_id}", bind(get_model), methods=["GET"]),
        Route(f"{base}/models", bind(list_models), methods=["GET"]),
        Route(f"{base}/models/{{model_id}}", bind(get_model), methods=["GET"]),
        Route(f"{base}/members", bind(list_members), methods=["GET"]),
        Route(f"{base}/balances", bind(list_balances), methods=["GET"]),
        Route(f"{base}/balances/{{balance_id}}", bind(get_balance), methods=["GET"]),
        Route(f"{base}/billing/breakdown", bind(billing_breakdown), methods=["GET"]),
        Route(f"{base}/billing/fields", bind(billing_fields), methods=["GET"]),
    ]
