"""API key management: v1 under /v1/projects/{project_id}/keys, and the legacy /v2/keys of
document 004 ({keys: [{key, label}]}, create giving 201 {key, secret, label}, delete 204)."""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from ..model.context import Context
from ..model.errors import ApiError, bad_request
from ..model.faults import Fault
from ..model.keys import ApiKey
from .access import binder, manager
from .body import read_body

Json = dict[str, Any]
MAX_KEY_BODY = 64 * 1024
MEMBER = {"member_id": "a1b2c3d4-0000-4000-8000-0000000000bb", "email": "dev@example.com"}
"""The one member of the reference project, owner of every key."""


async def _json_object(request: Request) -> Json:
    """The request body as a JSON object (an empty body is an empty object)."""
    raw = await read_body(request, MAX_KEY_BODY)
    if not raw.strip():
        return {}
    try:
        document = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise bad_request("The request body is not valid JSON.") from None
    if not isinstance(document, dict):
        raise bad_request("The request body must be a JSON object.")
    return document


def _strings(document: Json, name: str, *, required: bool) -> list[str]:
    """A list-of-strings field of a create request."""
    value = document.get(name, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise bad_request(f"`{name}` must be an array of strings.")
    if required and not value:
        raise bad_request(f"`{name}` must name at least one scope.")
    return value


def _secret_shown(key: ApiKey, ctx: Context) -> Json:
    """The secret again, where only key-secret-shown-again would show it."""
    return {"key": key.secret} if ctx.settings.has(Fault.KEY_SECRET_SHOWN_AGAIN) else {}


def _listed(key: ApiKey, ctx: Context) -> Json:
    return {
        "member": dict(MEMBER),
        "api_key": {
            "api_key_id": key.api_key_id,
            "comment": key.comment,
            "scopes": list(key.scopes),
            "created": key.created,
            **_secret_shown(key, ctx),
        },
    }


def _item(key: ApiKey, ctx: Context) -> Json:
    api_key: Json = {
        "api_key_id": key.api_key_id,
        "comment": key.comment,
        "scopes": list(key.scopes),
        "tags": list(key.tags),
        "created": key.created,
        **_secret_shown(key, ctx),
    }
    if key.expiration_date:
        api_key["expiration_date"] = key.expiration_date
    member = {**MEMBER, "first_name": "Dev", "last_name": "Eloper", "api_key": api_key}
    # the official {"item": {"member": {"api_key"}}}, and the key at the top as deepctl 0.4's
    # `keys --show` reads it (result.get("api_key", result))
    return {"item": {"member": member}, "api_key": dict(api_key)}


def _not_found() -> ApiError:
    return ApiError(404, "No such API key.", "NOT_FOUND")


async def list_keys(request: Request, ctx: Context) -> Response:
    """GET /v1/projects/{project_id}/keys."""
    manager(request, ctx)
    return JSONResponse({"api_keys": [_listed(k, ctx) for k in ctx.keys.listed()]})


async def create_key(request: Request, ctx: Context) -> Response:
    """POST /v1/projects/{project_id}/keys: the secret is in this answer and nowhere else."""
    manager(request, ctx)
    document = await _json_object(request)
    comment = document.get("comment")
    if not isinstance(comment, str) or not comment:
        raise bad_request("`comment` must be a non-empty string.")
    expiration = document.get("expiration_date")
    key = ctx.keys.create(
        comment,
        _strings(document, "scopes", required=True),
        _strings(document, "tags", required=False),
        expiration if isinstance(expiration, str) else None,
    )
    body: Json = {
        "api_key_id": key.api_key_id,
        "comment": key.comment,
        "scopes": list(key.scopes),
        "tags": list(key.tags),
    }
    if not ctx.settings.has(Fault.CREATE_KEY_NO_SECRET):
        body["key"] = key.secret
    if key.expiration_date:
        body["expiration_date"] = key.expiration_date
    return JSONResponse(body)


async def get_key(request: Request, ctx: Context) -> Response:
    """GET /v1/projects/{project_id}/keys/{key_id}."""
    manager(request, ctx)
    key = ctx.keys.get(request.path_params["key_id"])
    if key is None or ctx.settings.has(Fault.GET_KEY_404):
        raise _not_found()
    return JSONResponse(_item(key, ctx))


def _delete(key_id: str, ctx: Context) -> bool:
    """Delete a key; whether the answer is a success (delete-unknown-key-200 says always)."""
    return ctx.keys.delete(key_id) or ctx.settings.has(Fault.DELETE_UNKNOWN_KEY_200)


def _deleter(request: Request, ctx: Context) -> None:
    """Authenticate a delete, unless key-delete-needs-no-auth lets anyone delete any key."""
    if not ctx.settings.has(Fault.KEY_DELETE_NEEDS_NO_AUTH):
        manager(request, ctx)


async def delete_key(request: Request, ctx: Context) -> Response:
    """DELETE /v1/projects/{project_id}/keys/{key_id}."""
    _deleter(request, ctx)
    if not _delete(request.path_params["key_id"], ctx):
        raise _not_found()
    return JSONResponse({"message": "API key deleted"})


# ---------------------------------------------------------------------------- legacy /v2/keys


async def legacy_list(request: Request, ctx: Context) -> Response:
    """GET /v2/keys: {keys: [{key, label}]}."""
    manager(request, ctx)
    shown = ctx.settings.has(Fault.KEY_SECRET_SHOWN_AGAIN)
    return JSONResponse(
        {
            "keys": [
                {"key": k.api_key_id, "label": k.comment, **({"secret": k.secret} if shown else {})}
                for k in ctx.keys.listed()
            ]
        }
    )


async def legacy_create(request: Request, ctx: Context) -> Response:
    """POST /v2/keys with {label}: 201 {key, secret, label}."""
    manager(request, ctx)
    label = (await _json_object(request)).get("label")
    if not isinstance(label, str) or not label:
        raise bad_request("`label` must be a non-empty string.")
    key = ctx.keys.create(label, ("member",))
    body: Json = {"key": key.api_key_id, "label": key.comment}
    if not ctx.settings.has(Fault.CREATE_KEY_NO_SECRET):
        body["secret"] = key.secret
    return JSONResponse(body, status_code=201)


async def legacy_delete(request: Request, ctx: Context) -> Response:
    """DELETE /v2/keys with {key}: 204, or 404 for an unknown key."""
    _deleter(request, ctx)
    key_id = (await _json_object(request)).get("key")
    if not isinstance(key_id, str) or not _delete(key_id, ctx):
        raise _not_found()
    return Response(status_code=204)


def routes(ctx: Context) -> list[BaseRoute]:
    """The key endpoints of both dialects, bound to this server's context."""
    bind = binder(ctx)
    base = "/v1/projects/{project_id}/keys"
    return [
        Route(base, bind(list_keys), methods=["GET"]),
        Route(base, bind(create_key), methods=["POST"]),
        Route(f"{base}/{{key_id}}", bind(get_key), methods=["GET"]),
        Route(f"{base}/{{key_id}}", bind(delete_key), methods=["DELETE"]),
        Route("/v2/keys", bind(legacy_list), methods=["GET"]),
        Route("/v2/keys", bind(legacy_create), methods=["POST"]),
        Route("/v2/keys", bind(legacy_delete), methods=["DELETE"]),
    ]
