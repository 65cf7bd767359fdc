"""POST /v1/auth/grant: trade an API key for a short-lived access token."""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from ..model.auth import may_grant
from ..model.context import Context
from ..model.errors import ApiError, bad_request, unauthorized
from ..model.faults import Fault
from ..model.tokens import DEFAULT_TTL
from .body import read_body

MAX_TTL = 3600.0
"""The longest lifetime a client may ask for, in seconds."""


def ttl_from_body(body: bytes) -> float:
    """The requested lifetime from an optional {"ttl_seconds": N} body, or 400."""
    if not body.strip():
        return DEFAULT_TTL
    try:
        document: Any = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise bad_request("The request body is not valid JSON.") from None
    if not isinstance(document, dict):
        raise bad_request('The request body must be a JSON object like {"ttl_seconds": 30}.')
    ttl = document.get("ttl_seconds", DEFAULT_TTL)
    if isinstance(ttl, bool) or not isinstance(ttl, int | float) or not 0 < ttl <= MAX_TTL:
        raise bad_request(f"ttl_seconds must be a number greater than 0 and at most {MAX_TTL:g}.")
    return float(ttl)


async def grant(request: Request, ctx: Context) -> Response:
    """Issue a token to a caller holding the API key (a token cannot mint more tokens)."""
    caller = ctx.authenticate(request.headers.get("authorization"))
    if not may_grant(caller, ctx.settings):
        raise unauthorized()
    try:
        ttl = ttl_from_body(await read_body(request, 64 * 1024))
    except ApiError:
        if not ctx.settings.has(Fault.GRANT_IGNORES_BODY):
            raise
        ttl = DEFAULT_TTL
    token = ctx.tokens.issue(ctx.settings.api_key_id, ttl, ctx.clock())
    expires_in = f"{ttl:g}" if ctx.settings.has(Fault.GRANT_EXPIRES_IN_TEXT) else ttl
    return JSONResponse({"access_token": token, "expires_in": expires_in})


def routes(ctx: Context) -> list[BaseRoute]:
    """The auth endpoints, bound to this server's context."""

    async def endpoint(request: Request) -> Response:
        return await grant(request, ctx)

    return [Route("/v1/auth/grant", endpoint, methods=["POST"])]
