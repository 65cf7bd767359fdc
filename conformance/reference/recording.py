"""ASGI middleware that logs every transcription served, without the endpoints knowing."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .context import Context
from .errors import ApiError
from .keys import iso
from .requests_log import LoggedRequest

LOGGED_PATHS = frozenset({"/v1/listen", "/v2/listen"})
MAX_LOGGED_BODY = 4 * 1024 * 1024
"""Responses larger than this are passed on without being read for the log."""


def _request_id(body: bytes) -> tuple[str | None, float]:
    """The request id and audio duration of a transcription (or callback receipt) body."""
    try:
        document: Any = orjson.loads(body)
    except orjson.JSONDecodeError:
        return None, 0.0
    if not isinstance(document, dict):
        return None, 0.0
    metadata = document.get("metadata")
    if isinstance(metadata, dict):
        duration = metadata.get("duration")
        seconds = float(duration) if isinstance(duration, int | float) else 0.0
        rid = metadata.get("request_id")
        return (rid if isinstance(rid, str) else None), seconds
    rid = document.get("request_id")
    return (rid if isinstance(rid, str) else None), 0.0


def _path(scope: Scope) -> str:
    """The request's path inside this app (without the prefix it may be mounted under)."""
    path, root = str(scope["path"]), str(scope.get("root_path", ""))
    return path[len(root) :] if root and path.startswith(root) else path


class RecordRequests:
    """Wraps the app: successful POSTs to a listen path go into ctx.requests."""

    def __init__(self, app: ASGIApp, ctx: Context) -> None:
        self.app = app
        self.ctx = ctx

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the exchange through, keeping the status and body of a listen request."""
        if scope["type"] != "http" or scope["method"] != "POST" or _path(scope) not in LOGGED_PATHS:
            await self.app(scope, receive, send)
            return
        status = 0
        chunks: list[bytes] = []

        async def keep(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            elif (
                message["type"] == "http.response.body" and sum(map(len, chunks)) < MAX_LOGGED_BODY
            ):
                chunks.append(message.get("body", b""))
            await send(message)

        await self.app(scope, receive, keep)
        if 200 <= status < 300:
            self._log(scope, status, b"".join(chunks))

    def _log(self, scope: Scope, status: int, body: bytes) -> None:
        """Add the served request to the log, with its tags and its key's."""
        request_id, duration = _request_id(body)
        if request_id is None:
            return
        headers = dict(scope["headers"])
        authorization = headers.get(b"authorization", b"").decode("latin-1") or None
        try:
            key_id = self.ctx.authenticate(authorization).key_id
        except ApiError:
            key_id = None
        query = parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
        tags = [value for name, value in query if name == "tag"]
        key = self.ctx.keys.get(key_id) if key_id else None
        if key is not None and not self.ctx.settings.has("key-tags-not-applied"):
            tags += [t for t in key.tags if t not in tags]
        self.ctx.requests.add(
            LoggedRequest(
                request_id=request_id,
                created=iso(self.ctx.clock()),
                path=_path(scope),
                api_key_id=key_id,
                tags=tuple(tags),
                code=status,
                duration=duration,
            )
        )
