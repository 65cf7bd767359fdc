"""POST /v1/speak: text to speech, as deterministic WAV audio, at once or by callback (accepted
once the text is checked, synthesised after the answer is sent)."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import uuid
from collections.abc import Mapping

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from ..model.context import Context
from ..model.errors import ApiError, bad_request
from ..model.faults import Fault
from ..model.settings import Settings
from .body import media_type, read_body
from .callbacks import Callback, Courier, accepted, parse_callback
from .speak_formats import MAX_CHARACTERS, Output, output, render

MAX_TEXT_BYTES = 2 * 1024 * 1024
"""Past this the body is refused with 413 (Errors: "413 Request Body Exceeded 2MB")."""
SPEAK_CONCURRENCY = 5
"""Requests in flight the speak-429 variant serves at once (TTS REST "Up to 5 requests")."""
VOICE = re.compile(r"aura(-2)?-[a-z]+-[a-z]{2}")
"""The form of the spec's voices (aura-asteria-en, aura-2-thalia-en); others are unknown."""
DEFAULT_MODEL = "aura-asteria-en"


async def _text(request: Request, settings: Settings) -> str:
    """The text of a JSON {"text": ...} or text/plain body; 415 for other content types, 413
    past the character limit, 400 for a body without text."""
    kind = media_type(request.headers.get("content-type"))
    plain = kind == "text/plain" and not settings.has(Fault.SPEAK_JSON_ONLY)
    if kind != "application/json" and not plain:
        if settings.has(Fault.SPEAK_CONTENT_TYPE_400) and kind != "text/plain":
            raise bad_request('Send the text as JSON: {"text": "..."}.')
        raise ApiError(
            415,
            f"Unsupported content type {kind or 'none'}: send application/json or text/plain.",
            "UNSUPPORTED_MEDIA_TYPE",
        )
    try:
        raw = (await read_body(request, MAX_TEXT_BYTES)).decode()
        document = raw if plain else json.loads(raw)
    except UnicodeDecodeError:
        raise bad_request("The request body is not valid UTF-8.") from None
    except json.JSONDecodeError:
        raise bad_request("The request body is not valid JSON.") from None
    text = document.get("text") if isinstance(document, dict) else document if plain else None
    if not isinstance(text, str) or not text.strip():
        raise bad_request('The request body must have a non-empty "text".')
    if len(text) > MAX_CHARACTERS and not settings.has(Fault.SPEAK_TEXT_LIMIT_UNENFORCED):
        raise ApiError(
            413,
            f"Input text has {len(text)} characters; the limit is {MAX_CHARACTERS}.",
            "PAYLOAD_TOO_LARGE",
        )
    return text


def _model(query: Mapping[str, str], settings: Settings) -> str:
    """The voice asked for (the spec's default aura-asteria-en); 400 for an unknown one."""
    model = query.get("model", DEFAULT_MODEL)
    if not VOICE.fullmatch(model) and not settings.has(Fault.SPEAK_ANY_MODEL):
        raise ApiError(400, f"Unknown model {model!r}.", "UNKNOWN_MODEL")
    return model


def _headers(rid: str, text: str, model: str, settings: Settings) -> dict[str, str]:
    """The headers of an audio answer: request id, model name and uuid, character count."""
    counted = len(text) - sum(c.isspace() for c in text) * settings.has(Fault.SPEAK_CHAR_COUNT_OFF)
    headers = {"dg-char-count": str(counted)}
    if not settings.has(Fault.SPEAK_NO_REQUEST_ID):
        headers["dg-request-id"] = rid
    if not settings.has(Fault.SPEAK_NO_MODEL_HEADERS):
        headers["dg-model-name"] = model
        headers["dg-model-uuid"] = str(uuid.uuid5(uuid.NAMESPACE_URL, f"speak:{model}"))
    return headers


def _delivery(text: str, out: Output, request_id: str, settings: Settings) -> tuple[bytes, str]:
    """The body and media type a speak callback delivers (JSON under speak-callback-not-audio)."""
    audio = render(text, out, settings)
    if settings.has(Fault.SPEAK_CALLBACK_NOT_AUDIO):
        digest = hashlib.sha256(audio).hexdigest()
        document = {"request_id": request_id, "sha256": digest}
        return json.dumps(document).encode(), "application/json"
    return audio, out.media_type


async def speak(request: Request, ctx: Context, courier: Courier) -> Response:
    """Authenticate, check the callback and the text; answer with audio, or accept at once and
    synthesise and deliver once the answer is sent."""
    settings = ctx.settings
    caller = ctx.authenticate(request.headers.get("authorization"))
    query = dict(request.query_params)
    callback = await parse_callback(request.query_params.multi_items(), "speak", settings)
    model = _model(query, settings)
    out = output(query, settings)
    if "speed" in query and settings.has(Fault.SPEAK_SPEED_REFUSED):
        raise bad_request(f"speed={query['speed']} is not supported.")
    text = await _text(request, settings)
    rid = str(uuid.uuid4())
    if callback is None or settings.has(Fault.SPEAK_CALLBACK_SYNC):
        audio = render(text, out, settings)
        headers = _headers(rid, text, model, settings)
        if settings.has(Fault.SPEAK_NOT_AUDIO):
            wrapped = {"request_id": rid, "audio": base64.b64encode(audio).decode()}
            return JSONResponse(wrapped, headers=headers)
        kind = "audio/wav" if settings.has(Fault.SPEAK_MP3_LABELLED_WAV) else out.media_type
        return Response(audio, media_type=kind, headers=headers)
    key_id = caller.key_id or settings.api_key_id

    async def deliver(to: Callback = callback) -> None:
        if to.url.startswith("https:") and settings.has(Fault.SPEAK_CALLBACK_HTTPS_UNDELIVERED):
            return
        body, media = _delivery(text, out, rid, settings)
        courier.send(to, body, media, key_id)

    return accepted(rid, deliver)


def too_many() -> ApiError:
    """The documented 429 of a request past the project's concurrency limit."""
    return ApiError(429, "Too many requests. Please try again later", "TOO_MANY_REQUESTS")


def routes(ctx: Context, courier: Courier) -> list[BaseRoute]:
    """The speak endpoint, bound to this server's context and courier; under speak-429 it
    refuses a request while SPEAK_CONCURRENCY others are in flight, as the live service does."""
    in_flight = 0

    async def endpoint(request: Request) -> Response:
        nonlocal in_flight
        if not ctx.settings.imitates("speak-429"):
            return await speak(request, ctx, courier)
        ctx.authenticate(request.headers.get("authorization"))
        if in_flight >= SPEAK_CONCURRENCY:
            raise too_many()
        in_flight += 1
        try:
            return await speak(request, ctx, courier)
        finally:
            in_flight -= 1

    return [Route("/v1/speak", endpoint, methods=["POST"])]
