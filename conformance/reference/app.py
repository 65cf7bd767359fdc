"""The ASGI application: every endpoint module's routes plus uniform error rendering."""

from __future__ import annotations

import time
from collections.abc import Callable

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from .model.context import Context
from .model.errors import ApiError, error_response
from .model.settings import Settings
from .rest import grant, keys_api, listen, management, speak, usage
from .rest.callbacks import Courier
from .rest.recording import RecordRequests
from .streaming import endpoint as stream
from .streaming import speaking


def create_app(
    settings: Settings | None = None, *, clock: Callable[[], float] = time.time
) -> Starlette:
    """A reference server for settings; each call has its own tokens and caches."""
    ctx = Context(settings or Settings(), clock)
    courier = Courier(ctx.settings)

    def api_error(_: Request, exc: Exception) -> Response:
        assert isinstance(exc, ApiError)
        return error_response(exc, ctx.settings)

    def http_error(_: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        if exc.status_code == 404 and ctx.settings.imitates("terse-errors"):
            # an unknown route (the rules raise ApiError): plain text, as the live service answers
            return PlainTextResponse(exc.detail, 404, exc.headers)
        return error_response(ApiError(exc.status_code, exc.detail), ctx.settings, exc.headers)

    def server_error(_: Request, exc: Exception) -> Response:
        return error_response(
            ApiError(500, "The server failed to process the request."), ctx.settings
        )

    return Starlette(
        routes=[
            *listen.routes(ctx, courier),
            *stream.routes(ctx),
            *speak.routes(ctx, courier),
            *speaking.routes(ctx),
            *grant.routes(ctx),
            *keys_api.routes(ctx),
            *usage.routes(ctx),
            *management.routes(ctx),
            stream.unknown_socket(ctx),  # last: after every WebSocket route
        ],
        middleware=[Middleware(RecordRequests, ctx=ctx)],
        exception_handlers={
            ApiError: api_error,
            HTTPException: http_error,
            Exception: server_error,
        },
    )
