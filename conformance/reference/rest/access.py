"""How a management endpoint is reached: an API key of this server's project, and handlers bound
to the server's context."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response

from ..model.auth import Caller
from ..model.context import Context
from ..model.errors import ApiError
from ..model.faults import Fault


def manager(request: Request, ctx: Context) -> Caller:
    """Authenticate a management call: an API key of this server's project (no access token)."""
    caller = ctx.authenticate(request.headers.get("authorization"))
    if caller.kind == "access_token":
        raise ApiError(403, "Access tokens cannot use the management API.", "FORBIDDEN")
    project_id = request.path_params.get("project_id")
    if project_id is not None and project_id != ctx.settings.project_id:
        if not ctx.settings.has(Fault.UNKNOWN_PROJECT_200):
            raise ApiError(404, f"No project {project_id!r}.", "NOT_FOUND")
    return caller


Handler = Callable[[Request, Context], Awaitable[Response]]


def binder(ctx: Context) -> Callable[[Handler], Callable[[Request], Awaitable[Response]]]:
    """Turns handlers taking (request, ctx) into Starlette endpoints bound to ctx."""

    def bind(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            return await handler(request, ctx)

        return endpoint

    return bind
