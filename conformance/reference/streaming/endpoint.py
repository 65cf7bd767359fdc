"""WebSocket /v1/listen: the handshake (a refusal is an HTTP error), the session, the request
log entry of a stream served; and the 404 of any other WebSocket path."""

from __future__ import annotations

import uuid

from starlette.routing import BaseRoute, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect
from websockets.frames import CloseCode

from ..model.context import Context
from ..model.errors import ApiError, upgrade_refusal
from ..model.faults import Fault
from ..model.keys import iso
from ..model.requests_log import LoggedRequest, features, key_tags
from .callbacks import KILLED_REASON, open_sink
from .options import parse_stream_options
from .session import Session


async def stream_endpoint(websocket: WebSocket, ctx: Context) -> None:
    """Authenticate and validate before the upgrade (a refusal is an HTTP error), then serve;
    the upgrade's dg-request-id names the stream as its messages' request_id does."""
    try:
        options, subprotocol = await parse_stream_options(websocket, ctx)
    except ApiError as error:
        await websocket.send_denial_response(upgrade_refusal(error, ctx.settings))
        return
    request_id = str(uuid.uuid4())
    named = str(uuid.uuid4()) if ctx.settings.has(Fault.STREAM_UPGRADE_REQUEST_ID_DIFFERS) else None
    await websocket.accept(
        subprotocol=subprotocol, headers=[(b"dg-request-id", (named or request_id).encode())]
    )
    sink = await open_sink(options, websocket, ctx)
    if sink is None:
        await websocket.close(CloseCode.INTERNAL_ERROR, KILLED_REASON)
        return
    session = Session(ctx, options, websocket, sink, request_id)
    try:
        await session.run()
    except WebSocketDisconnect:
        await sink.close()
    finally:
        _log(session, websocket)


def _log(session: Session, websocket: WebSocket) -> None:
    """Log a stream served, as the management API lists it (method streaming)."""
    if session.settings.has(Fault.REQUESTS_LIST_LISTEN_ONLY):
        return
    ctx, query = session.ctx, websocket.query_params.multi_items()
    ctx.requests.add(
        LoggedRequest(
            request_id=session.request_id,
            created=iso(ctx.clock()),
            path="/v1/listen",
            api_key_id=session.options.key_id or None,
            tags=key_tags(
                ctx.settings,
                ctx.keys,
                session.options.key_id,
                []
                if ctx.settings.has(Fault.STREAM_TAGS_DROPPED)
                else [v for k, v in query if k == "tag"],
            ),
            code=101,
            duration=session.duration(),
            method="streaming",
            endpoint="listen",
            features=features(query),
        )
    )


def routes(ctx: Context) -> list[BaseRoute]:
    """The streaming endpoint, bound to this server's context."""

    async def endpoint(websocket: WebSocket) -> None:
        await stream_endpoint(websocket, ctx)

    return [WebSocketRoute("/v1/listen", endpoint)]


def unknown_socket(ctx: Context) -> WebSocketRoute:
    """Any WebSocket path not served: refused with 404 and the error body (a bare 403, which
    Starlette gives by default, reads as a credential problem)."""

    async def refuse(websocket: WebSocket) -> None:
        path = websocket.url.path
        error = ApiError(404, f"No WebSocket endpoint at {path!r}.", "NOT_FOUND")
        await websocket.send_denial_response(upgrade_refusal(error, ctx.settings))

    return WebSocketRoute("/{path:path}", refuse)
