"""POST /v1/listen, pre-recorded audio: transcribed and answered at once, or, with ?callback=URL,
checked now, answered with a request_id at once, and transcribed and delivered to the URL in the
background once the answer is sent.

Before answering: the caller, the callback URL, the parameters, and the body (present and of a
usable type; a {"url"} body's shape). The audio at a {"url"} is fetched after the answer: the
documents say the request_id comes "before processing your audio asynchronously", so a fetch or
decoding failure reaches the callback as an error object with that request_id, not as a 400.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route
from starlette.types import Message

from ..model import response
from ..model.context import Context
from ..model.errors import ApiError, bad_request, error_body
from ..model.faults import Fault
from ..model.params import parse_listen_options
from ..model.settings import Settings
from . import pressure, transcription
from .body import media_type, read_body
from .callbacks import Callback, Courier, accepted, parse_callback
from .fetch import MAX_AUDIO_BYTES
from .raw import raw_format


def _bent(document: dict[str, Any], settings: Settings) -> None:
    """The delivery as the fault switches bend it (another request_id, no extra)."""
    if settings.has(Fault.CALLBACK_WRONG_REQUEST_ID):
        document["metadata"]["request_id"] = str(uuid.uuid4())
    if settings.has(Fault.CALLBACK_DROPS_EXTRA):
        document["metadata"].pop("extra", None)


async def _body(request: Request, ctx: Context) -> bytes:
    """The request body, refused now if it cannot hold audio to transcribe."""
    settings = ctx.settings
    if media_type(request.headers.get("content-type")) == "application/json":
        body = await read_body(request, transcription.MAX_JSON_BYTES)
        transcription.url_from_json(body, settings)
        return body
    transcription.check_audio_type(request.headers.get("content-type"), settings)
    body = await read_body(request, MAX_AUDIO_BYTES)
    if not body and not settings.has(Fault.ACCEPT_EMPTY_BODY):
        raise bad_request("No audio: the request body is empty.")
    return body


def _replay(request: Request, body: bytes) -> Request:
    """The same request, its body read again from memory (the original stream is spent)."""

    async def receive() -> Message:
        return {"type": "http.request", "body": body, "more_body": False}

    return Request(request.scope, receive)


async def _transcription(request: Request, ctx: Context, request_id: str) -> bytes:
    """The transcription as delivered (request_id the accepted one), or the error object."""
    try:
        answer = await transcription.listen(request, ctx)
    except ApiError as error:
        return orjson.dumps({**error_body(error), "request_id": request_id})
    document = json.loads(bytes(answer.body))
    document["metadata"]["request_id"] = request_id
    _bent(document, ctx.settings)
    return orjson.dumps(document)


async def listen(request: Request, ctx: Context, courier: Courier) -> Response:
    """Without callback: the plain listen endpoint. With it: accept now, deliver later."""
    settings = ctx.settings
    recent = pressure.arrived()
    caller = transcription.authenticate(request, ctx)
    callback = await parse_callback(request.query_params.multi_items(), "listen", settings)
    if callback is None or settings.has(Fault.CALLBACK_SYNC):
        return await transcription.listen(request, ctx)
    parse_listen_options(request.query_params.multi_items(), settings)
    raw_format(request.query_params.multi_items(), settings)
    replayed = _replay(request, await _body(request, ctx))
    request_id = response.request_id(settings)
    key_id = caller.key_id or settings.api_key_id

    async def deliver(to: Callback = callback) -> None:
        if settings.has(Fault.CALLBACK_NEVER_DELIVERS) or pressure.drops_callback(settings, recent):
            return
        if to.url.startswith("https:") and settings.has(Fault.CALLBACK_HTTPS_UNDELIVERED):
            return
        body = await _transcription(replayed, ctx, request_id)
        courier.send(to, body, "application/json", key_id)

    return accepted(request_id, deliver)


def routes(ctx: Context, courier: Courier) -> list[BaseRoute]:
    """The pre-recorded listen endpoint, bound to this server's context and courier."""

    async def endpoint(request: Request) -> Response:
        return await listen(request, ctx, courier)

    return [Route("/v1/listen", endpoint, methods=["POST"])]
