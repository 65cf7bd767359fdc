"""The ASGI application: every endpoint module's routes plus uniform error rendering."""

from __future__ import annotations

import time
from collections.abc import Callable

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from . import grant, listen
from .context import Context
from .errors import ApiError, error_response
from .settings import Settings


def create_app(
    settings: Settings | None = None, *, clock: Callable[[], float] = time.time
) -> Starlette:
    """A reference server for settings; each call has its own tokens and caches."""
    ctx = Context(settings or Settings(), clock)

    def api_error(_: Request, exc: Exception) -> Response:
        assert isinstance(exc, ApiError)
        return error_response(exc, ctx.settings)

    def http_error(_: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        return error_response(ApiError(exc.status_code, exc.detail), ctx.settings, exc.headers)

    def server_error(_: Request, exc: Exception) -> Response:
        return error_response(
            ApiError(500, "The server failed to process the request."), ctx.settings
        )

    return Starlette(
        routes=[*listen.routes(ctx), *grant.routes(ctx)],
        exception_handlers={
            ApiError: api_error,
            HTTPException: http_error,
            Exception: server_error,
        },
    )
