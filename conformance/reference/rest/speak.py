"""POST /v1/speak: text to speech, as deterministic WAV audio, at once or by callback (accepted
once the text is checked, synthesised after the answer is sent)."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import math
import struct
import uuid
import wave

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from ..model.context import Context
from ..model.errors import ApiError, bad_request
from ..model.faults import Fault
from ..model.settings import Settings
from .body import media_type, read_body
from .callbacks import Callback, Courier, accepted, parse_callback

MAX_TEXT_BYTES = 64 * 1024
SPEAK_CONCURRENCY = 5
"""Requests in flight the speak-429 variant serves at once (TTS REST "Up to 5 requests")."""
RATE = 16_000
SECONDS_PER_CHARACTER = 0.02


def synthesise(text: str) -> bytes:
    """A mono 16-bit WAV whose tones follow the text's characters: same text, same bytes."""
    frames = bytearray()
    per_character = int(RATE * SECONDS_PER_CHARACTER)
    for index, character in enumerate(text):
        pitch = 200 + (ord(character) % 64) * 10
        for n in range(per_character):
            t = (index * per_character + n) / RATE
            sample = 0.3 * math.sin(2 * math.pi * pitch * t) if not character.isspace() else 0.0
            frames += struct.pack("<h", int(sample * 32767))
    out = io.BytesIO()
    with wave.open(out, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(RATE)
        wav.writeframes(bytes(frames))
    return out.getvalue()


async def _text(request: Request) -> str:
    """The text field of the JSON body, or 400."""
    if media_type(request.headers.get("content-type")) != "application/json":
        raise bad_request('Send the text as JSON: {"text": "..."}.')
    try:
        document = json.loads(await read_body(request, MAX_TEXT_BYTES))
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise bad_request("The request body is not valid JSON.") from None
    text = document.get("text") if isinstance(document, dict) else None
    if not isinstance(text, str) or not text.strip():
        raise bad_request('The JSON request body must have a non-empty string "text" field.')
    return text


def _delivery(text: str, request_id: str, settings: Settings) -> tuple[bytes, str]:
    """The body and media type a speak callback delivers (JSON under speak-callback-not-audio)."""
    audio = synthesise(text)
    if settings.has(Fault.SPEAK_CALLBACK_NOT_AUDIO):
        digest = hashlib.sha256(audio).hexdigest()
        document = {"request_id": request_id, "sha256": digest}
        return json.dumps(document).encode(), "application/json"
    return audio, "audio/wav"


async def speak(request: Request, ctx: Context, courier: Courier) -> Response:
    """Authenticate, check the callback and the text; answer with audio, or accept at once and
    synthesise and deliver once the answer is sent."""
    settings = ctx.settings
    caller = ctx.authenticate(request.headers.get("authorization"))
    callback = await parse_callback(request.query_params.multi_items(), "speak", settings)
    text = await _text(request)
    rid = str(uuid.uuid4())
    if callback is None or settings.has(Fault.SPEAK_CALLBACK_SYNC):
        audio = synthesise(text)
        headers = {"dg-request-id": rid, "dg-char-count": str(len(text))}
        if settings.has(Fault.SPEAK_NOT_AUDIO):
            wrapped = {"request_id": rid, "audio": base64.b64encode(audio).decode()}
            return JSONResponse(wrapped, headers=headers)
        return Response(audio, media_type="audio/wav", headers=headers)
    key_id = caller.key_id or settings.api_key_id

    async def deliver(to: Callback = callback) -> None:
        if to.url.startswith("https:") and settings.has(Fault.SPEAK_CALLBACK_HTTPS_UNDELIVERED):
            return
        body, media = _delivery(text, rid, settings)
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
