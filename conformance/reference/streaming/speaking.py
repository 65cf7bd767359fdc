"""WebSocket /v1/speak: text in (Speak, Flush, Clear, Close), audio and acknowledgements out."""

from __future__ import annotations

import json
import uuid
from collections import deque
from dataclasses import dataclass
from typing import Any

from starlette.routing import BaseRoute, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect
from websockets.frames import CloseCode

from ..model.auth import identify
from ..model.context import Context
from ..model.errors import ApiError, bad_request, unauthorized, upgrade_refusal
from ..model.faults import Fault
from .idle import IdleDeadline
from .options import rest_settings
from .speech import DEFAULT_RATES, ENCODINGS, RATES, speech

MODEL = "aura-asteria-en"
"""SpeakV1Model's default."""
MODEL_VERSION = "2026-01-01.0"
MODEL_UUID = "6b1f0d2a-3c4e-4f5a-8b9c-0d1e2f3a4b5c"
FLUSH_LIMIT = 20
FLUSH_WINDOW = 60.0
"""At most FLUSH_LIMIT Flush messages in FLUSH_WINDOW seconds (the Flush page's limit)."""
BINARY_REASON = "MESSAGE-0000: this socket takes JSON text messages, not binary ones"


@dataclass(frozen=True)
class SpeakOptions:
    """The handshake of a speak socket, validated."""

    model: str
    encoding: str
    sample_rate: int


def _options(websocket: WebSocket, ctx: Context) -> tuple[SpeakOptions, str | None]:
    """The socket's options and the subprotocol to accept, or ApiError (401 or 400)."""
    settings = ctx.settings
    header = websocket.headers.get("authorization")
    protocols = [p.strip() for p in websocket.headers.get("sec-websocket-protocol", "").split(",")]
    subprotocol = protocols[0] if len(protocols) == 2 and header is None else None
    credential = header or (f"{protocols[0]} {protocols[1]}" if subprotocol else None)
    if not settings.has(Fault.SPEAK_STREAM_NO_AUTH):
        if credential is None:
            raise unauthorized()
        identify(credential, rest_settings(settings), ctx.tokens, ctx.clock(), ctx.keys)
    if settings.has(Fault.SPEAK_STREAM_REFUSED):
        raise bad_request("The speak WebSocket is not available.")
    query = dict(websocket.query_params.multi_items())
    if "speed" in query and settings.has(Fault.SPEAK_STREAM_SPEED_REFUSED):
        raise bad_request("`speed` is not supported on the speak socket.")
    encoding = query.get("encoding", "linear16")
    if encoding not in ENCODINGS:
        raise bad_request(f"Unsupported `encoding` {encoding!r}: linear16, mulaw or alaw.")
    rate = query.get("sample_rate", str(DEFAULT_RATES[encoding]))
    if not rate.isdigit() or int(rate) not in RATES:
        raise bad_request(f"Unsupported `sample_rate` {rate!r}.")
    return SpeakOptions(query.get("model", MODEL), encoding, int(rate)), subprotocol


class SpeakSession:
    """One speak socket: a text buffer spoken on Flush (or Close), acknowledgements in order."""

    def __init__(self, ctx: Context, options: SpeakOptions, client: WebSocket) -> None:
        self.ctx = ctx
        self.settings = ctx.settings
        self.options = options
        self.client = client
        self.request_id = str(uuid.uuid4())
        """The socket's request: its Metadata's request_id and its upgrade's dg-request-id."""
        self.buffer: list[str] = []
        self.sequence = 0
        self.flushes: deque[float] = deque()

    async def warn(self, code: str, description: str) -> None:
        """A Warning message: what went wrong, and its code."""
        await self.client.send_json({"type": "Warning", "description": description, "code": code})

    async def speak(self) -> None:
        """The buffered text as audio frames; the buffer empties."""
        text, self.buffer = "".join(self.buffer), []
        if not text or self.settings.has(Fault.SPEAK_STREAM_NO_AUDIO):
            return
        for frame in speech(text, self.options.encoding, self.options.sample_rate):
            await self.client.send_bytes(frame)

    async def acknowledge(self, kind: str) -> None:
        """Flushed or Cleared, with the next sequence id."""
        await self.client.send_json({"type": kind, "sequence_id": self.sequence})
        self.sequence += 1

    async def flush(self) -> None:
        """Speak the buffer and say Flushed, or warn past the flush limit."""
        now = self.ctx.clock()
        while self.flushes and now - self.flushes[0] >= FLUSH_WINDOW:
            self.flushes.popleft()
        if len(self.flushes) >= FLUSH_LIMIT and not self.settings.has(
            Fault.SPEAK_STREAM_FLUSH_UNLIMITED
        ):
            await self.warn("FLUSH_LIMIT", f"At most {FLUSH_LIMIT} Flush messages per minute.")
            return
        self.flushes.append(now)
        await self.speak()
        if not self.settings.has(Fault.SPEAK_STREAM_NO_FLUSHED):
            await self.acknowledge("Flushed")

    async def control(self, text: str) -> CloseCode | None:
        """One text message; the close code when it ends the socket."""
        ignore = self.settings.has(Fault.SPEAK_STREAM_BAD_INPUT_IGNORED)
        try:
            message: Any = json.loads(text)
        except ValueError:
            message = None
        kind = message.get("type") if isinstance(message, dict) else None
        if kind == "Speak" and isinstance(message.get("text"), str):
            self.buffer.append(message["text"])
        elif kind == "Flush":
            await self.flush()
        elif kind == "Clear":
            if not self.settings.has(Fault.SPEAK_STREAM_CLEAR_KEEPS_TEXT):
                self.buffer = []
            if not self.settings.has(Fault.SPEAK_STREAM_NO_CLEARED):
                await self.acknowledge("Cleared")
        elif kind == "Close":
            if not self.settings.has(Fault.SPEAK_STREAM_CLOSE_DROPS):
                await self.speak()
            if self.settings.has(Fault.SPEAK_STREAM_CLOSE_1011):
                return CloseCode.INTERNAL_ERROR
            return CloseCode.NORMAL_CLOSURE
        elif not ignore:
            what = "not a JSON object with a type" if kind is None else f"of unknown type {kind!r}"
            await self.warn("INVALID_MESSAGE", f"The message was {what}.")
        return None

    async def run(self) -> None:
        """Metadata, then messages until Close, a binary frame, idle timeout or disconnect."""
        if not self.settings.has(Fault.SPEAK_STREAM_NO_METADATA):
            await self.client.send_json(self.metadata())
        idle = IdleDeadline(self.settings.stream_idle_timeout)
        try:
            code, reason = await self._serve(idle)
        finally:
            idle.close()
        if code is not None:
            await self.client.close(code, reason)

    async def _serve(self, idle: IdleDeadline) -> tuple[CloseCode | None, str]:
        """Handle frames until the socket ends; its close code and reason (None: gone)."""
        while True:
            message = await idle.receive(self.client.receive)
            if message is None:
                return CloseCode.INTERNAL_ERROR, "NET-0001: no message within the timeout window"
            if message["type"] == "websocket.disconnect":
                return None, ""
            idle.touch()
            if message.get("bytes") is not None:
                if not self.settings.has(Fault.SPEAK_STREAM_BAD_INPUT_IGNORED):
                    return CloseCode.UNSUPPORTED_DATA, BINARY_REASON
            elif message.get("text") is not None:
                code = await self.control(message["text"])
                if code is not None:
                    return code, ""

    def metadata(self) -> dict[str, Any]:
        """The Metadata that opens the socket (as the live captures show it)."""
        return {
            "type": "Metadata",
            "request_id": self.request_id,
            "model_name": self.options.model,
            "model_version": MODEL_VERSION,
            "model_uuid": MODEL_UUID,
            "additional_model_uuids": [],
        }


def routes(ctx: Context) -> list[BaseRoute]:
    """The speak socket, bound to this server's context."""

    async def endpoint(websocket: WebSocket) -> None:
        try:
            options, subprotocol = _options(websocket, ctx)
        except ApiError as error:
            await websocket.send_denial_response(upgrade_refusal(error, ctx.settings))
            return
        session = SpeakSession(ctx, options, websocket)
        named = not ctx.settings.has(Fault.SPEAK_STREAM_UPGRADE_NO_REQUEST_ID)
        headers = [(b"dg-request-id", session.request_id.encode())] if named else []
        await websocket.accept(subprotocol=subprotocol, headers=headers)
        try:
            await session.run()
        except WebSocketDisconnect:
            pass

    return [WebSocketRoute("/v1/speak", endpoint)]
