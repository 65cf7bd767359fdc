"""ASGI middleware that logs every listen and speak request served, without the endpoints
knowing; streams are logged by their endpoint (streaming/endpoint.py)."""

from __future__ import annotations

import io
import uuid
import wave
from typing import Any
from urllib.parse import parse_qsl

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..model.context import Context
from ..model.errors import ApiError
from ..model.faults import Fault
from ..model.keys import iso
from ..model.requests_log import LoggedRequest, features, key_tags

LOGGED_PATHS = {"/v1/listen": "listen", "/v2/listen": "listen", "/v1/speak": "speak"}
"""Path -> the official spec's endpoint filter value."""
MAX_LOGGED_BODY = 4 * 1024 * 1024
"""Responses larger than this are passed on without being read for the log."""


def _document(body: bytes) -> dict[str, Any]:
    """A JSON object body, or {} (audio, text, a list)."""
    try:
        document: Any = orjson.loads(body)
    except orjson.JSONDecodeError:
        return {}
    return document if isinstance(document, dict) else {}


def _listen(body: bytes) -> tuple[str | None, float, str]:
    """A listen answer's request id, audio duration and method (async: a callback receipt)."""
    document = _document(body)
    metadata = document.get("metadata")
    if isinstance(metadata, dict):
        duration = metadata.get("duration")
        seconds = float(duration) if isinstance(duration, int | float) else 0.0
        rid = metadata.get("request_id")
        return (rid if isinstance(rid, str) else None), seconds, "sync"
    rid = document.get("request_id")
    return (rid if isinstance(rid, str) else None), 0.0, "async"


def _wav_seconds(body: bytes) -> float:
    """The duration of a WAV answer (0 when it is not one)."""
    try:
        with wave.open(io.BytesIO(body)) as reader:
            return round(float(reader.getnframes()) / float(reader.getframerate()), 6)
    except (wave.Error, EOFError, ZeroDivisionError):
        return 0.0


def _path(scope: Scope) -> str:
    """The request's path inside this app (without the prefix it may be mounted under)."""
    path, root = str(scope["path"]), str(scope.get("root_path", ""))
    return path[len(root) :] if root and path.startswith(root) else path


class _Answer:
    """The status, headers and (bounded) body of an answer as it passes."""

    def __init__(self) -> None:
        self.status = 0
        self.headers: dict[bytes, bytes] = {}
        self.chunks: list[bytes] = []

    def keep(self, message: Message) -> None:
        """Note one ASGI message of the answer."""
        if message["type"] == "http.response.start":
            self.status = message["status"]
            self.headers = {k.lower(): v for k, v in message.get("headers", [])}
        elif message["type"] == "http.response.body" and sum(map(len, self.chunks)) < (
            MAX_LOGGED_BODY
        ):
            self.chunks.append(message.get("body", b""))


class RecordRequests:
    """Wraps the app: POSTs to listen and speak paths by a known caller go into ctx.requests."""

    def __init__(self, app: ASGIApp, ctx: Context) -> None:
        self.app = app
        self.ctx = ctx

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the exchange through, keeping the status and body of a listen or speak request."""
        if scope["type"] != "http" or scope["method"] != "POST" or _path(scope) not in LOGGED_PATHS:
            await self.app(scope, receive, send)
            return
        answer = _Answer()

        async def keep(message: Message) -> None:
            answer.keep(message)
            await send(message)

        await self.app(scope, receive, keep)
        self._log(scope, answer)

    def _log(self, scope: Scope, answer: _Answer) -> None:
        """Add the served request to the log, with its tags and its key's, unless its caller is
        unknown (a refused credential belongs to no project)."""
        headers = dict(scope["headers"])
        authorization = headers.get(b"authorization", b"").decode("latin-1") or None
        try:
            key_id = self.ctx.authenticate(authorization).key_id
        except ApiError:
            return
        body = b"".join(answer.chunks)
        endpoint = LOGGED_PATHS[_path(scope)]
        if endpoint == "speak" and self.ctx.settings.has(Fault.REQUESTS_LIST_LISTEN_ONLY):
            return
        rid, duration, method = _listen(body)
        characters = 0
        if not 200 <= answer.status < 300:
            rid, duration, method = rid or str(uuid.uuid4()), 0.0, "sync"
        elif endpoint == "speak":
            rid = answer.headers.get(b"dg-request-id", b"").decode("latin-1") or rid
            media = answer.headers.get(b"content-type", b"")
            sent_audio = not media.startswith(b"application/json") or "audio" in _document(body)
            method = "sync" if sent_audio else "async"
            duration = _wav_seconds(body)
            count = answer.headers.get(b"dg-char-count", b"0").decode("latin-1")
            characters = int(count) if count.isdigit() else 0
        if rid is None:
            return
        query = parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
        self.ctx.requests.add(
            LoggedRequest(
                request_id=rid,
                created=iso(self.ctx.clock()),
                path=_path(scope),
                api_key_id=key_id,
                tags=key_tags(
                    self.ctx.settings,
                    self.ctx.keys,
                    key_id,
                    [v for name, v in query if name == "tag"],
                ),
                code=answer.status,
                duration=duration,
                method=method,
                endpoint=endpoint,
                features=features(query),
                characters=characters,
            )
        )
