"""POST /v1/listen?callback=URL: checked and transcribed now, answered with a request_id at once,
and the transcription delivered to the URL in the background.

Its route comes before the plain listen route, and hands requests without `callback` to it.
"""

from __future__ import annotations

import json
import uuid

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from . import listen
from .callbacks import Courier, parse_callback
from .context import Context
from .settings import Settings


def accepted(request_id: str) -> JSONResponse:
    """The immediate answer to a callback request: its request_id and nothing else."""
    return JSONResponse({"request_id": request_id}, headers={"dg-request-id": request_id})


def _bent(body: bytes, settings: Settings) -> bytes:
    """The delivery body as the fault switches bend it (another request_id, no extra)."""
    if not settings.has("callback-wrong-request-id") and not settings.has("callback-drops-extra"):
        return body
    document = json.loads(body)
    if settings.has("callback-wrong-request-id"):
        document["metadata"]["request_id"] = str(uuid.uuid4())
    if settings.has("callback-drops-extra"):
        document["metadata"].pop("extra", None)
    return json.dumps(document).encode()


async def listen_deferred(request: Request, ctx: Context, courier: Courier) -> Response:
    """Without callback: the plain listen endpoint. With it: accept now, deliver later."""
    settings = ctx.settings
    caller = listen.authenticate(request, ctx)
    callback = await parse_callback(request.query_params.multi_items(), "listen", settings)
    response = await listen.listen(request, ctx)
    if callback is None or settings.has("callback-sync"):
        return response
    request_id = response.headers["dg-request-id"]
    body = _bent(bytes(response.body), settings)
    courier.send(callback, body, "application/json", caller.key_id or settings.api_key_id)
    return accepted(request_id)


def routes(ctx: Context, courier: Courier) -> list[BaseRoute]:
    """The callback-aware listen endpoint, bound to this server's context and courier."""

    async def endpoint(request: Request) -> Response:
        return await listen_deferred(request, ctx, courier)

    return [Route("/v1/listen", endpoint, methods=["POST"])]
