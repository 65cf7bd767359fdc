"""Where a stream's messages go: the client, or the callback that replaces it (http(s) or ws(s)).

With an http(s) callback each message is one POST (or callback_method, unless the
post-only-stream-callbacks variant imitates the live service); with ws(s) the server
opens one WebSocket to the callback and sends each message as a text frame, and if that
connection drops the client's stream is killed.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any, Protocol

import httpx
from starlette.websockets import WebSocket
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake
from websockets.frames import CloseCode

from ..model.context import Context
from ..model.faults import Fault
from ..model.tls import client_context
from .options import StreamOptions

DELIVERY_DEADLINE = 10.0
"""Seconds one callback delivery (or the callback WebSocket's opening) may take."""
DRAIN_DEADLINE = 5.0
"""Seconds pending http deliveries get when the stream ends."""
KILLED_REASON = "The WebSocket callback connection was closed."


class Sink(Protocol):
    """Something that takes a stream's messages."""

    async def send(self, message: dict[str, Any]) -> None:
        """Deliver one message."""

    async def close(self) -> None:
        """No more messages will come."""


class ClientSink:
    """The default: messages go back over the client's own WebSocket, as text frames."""

    def __init__(self, websocket: WebSocket, binary: bool) -> None:
        self._websocket = websocket
        self._binary = binary

    async def send(self, message: dict[str, Any]) -> None:
        """A text frame (a binary one under stream-binary-messages)."""
        text = json.dumps(message)
        if self._binary:
            await self._websocket.send_bytes(text.encode())
        else:
            await self._websocket.send_text(text)

    async def close(self) -> None:
        """Nothing to release."""


class HttpSink:
    """Each message POSTed (or PUT) to the callback URL, in order, by one background task."""

    def __init__(self, url: str, method: str, key_id: str, drop: bool) -> None:
        self._url, self._method, self._drop = url, method, drop
        self._headers = {
            "Content-Type": "application/json",
            **({"dg-token": key_id} if key_id else {}),
        }
        self._queue: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue()
        self._task = asyncio.ensure_future(self._deliver())

    async def _deliver(self) -> None:
        async with httpx.AsyncClient(
            timeout=DELIVERY_DEADLINE, trust_env=False, verify=client_context()
        ) as http:
            while (message := await self._queue.get()) is not None:
                with contextlib.suppress(httpx.HTTPError):
                    await http.request(
                        self._method, self._url, content=json.dumps(message), headers=self._headers
                    )

    async def send(self, message: dict[str, Any]) -> None:
        """Queue the delivery (dropped under stream-http-callback-ignored)."""
        if not self._drop:
            self._queue.put_nowait(message)

    async def close(self) -> None:
        """Let queued deliveries finish, within a deadline."""
        self._queue.put_nowait(None)
        try:
            await asyncio.wait_for(asyncio.shield(self._task), DRAIN_DEADLINE)
        except TimeoutError:
            self._task.cancel()


class WsSink:
    """One WebSocket to the callback; if it drops, the client's stream is killed."""

    def __init__(
        self, connection: ClientConnection | None, client: WebSocket, kill: bool, binary: bool
    ) -> None:
        self._connection = connection
        self._client = client
        self._kill = kill
        self._binary = binary
        """Whether messages go as binary frames (a fault: the documents say text)."""
        self._closing = False
        self._watch = asyncio.ensure_future(self._watch_drop()) if connection else None

    async def _watch_drop(self) -> None:
        assert self._connection is not None
        with contextlib.suppress(ConnectionClosed):
            async for _ in self._connection:
                pass
        if self._kill and not self._closing:
            with contextlib.suppress(RuntimeError, OSError):
                await self._client.close(CloseCode.INTERNAL_ERROR, KILLED_REASON)

    async def send(self, message: dict[str, Any]) -> None:
        """A text frame to the callback (nothing when the connection is gone)."""
        if self._connection is not None:
            with contextlib.suppress(ConnectionClosed):
                text = json.dumps(message)
                await self._connection.send(text.encode() if self._binary else text)

    async def close(self) -> None:
        """Close the callback connection normally."""
        self._closing = True
        if self._connection is not None:
            with contextlib.suppress(ConnectionClosed, TimeoutError):
                await asyncio.wait_for(self._connection.close(), DRAIN_DEADLINE)
        if self._watch is not None:
            self._watch.cancel()


async def open_sink(options: StreamOptions, client: WebSocket, ctx: Context) -> Sink | None:
    """The sink for this stream; None when the ws callback cannot be opened (stream killed)."""
    settings = ctx.settings
    if options.callback is None:
        return ClientSink(client, settings.has(Fault.STREAM_BINARY_MESSAGES))
    url = httpx.URL(options.callback)
    if settings.has(Fault.STREAM_CALLBACK_NO_BASIC_AUTH):
        url = url.copy_with(userinfo=b"")
    key_id = "" if settings.has(Fault.STREAM_CALLBACK_NO_DG_TOKEN) else options.key_id
    if url.scheme in ("http", "https"):
        drop = settings.has(Fault.STREAM_HTTP_CALLBACK_IGNORED)
        ignored = settings.has(Fault.STREAM_CALLBACK_METHOD_IGNORED) or settings.imitates(
            "post-only-stream-callbacks"
        )
        method = "POST" if ignored else options.callback_method
        return HttpSink(str(url), method, key_id, drop)
    kill = not settings.has(Fault.STREAM_WS_CALLBACK_DROP_IGNORED)
    binary = settings.has(Fault.STREAM_WS_CALLBACK_BINARY)
    if settings.has(Fault.STREAM_WS_CALLBACK_IGNORED):
        return WsSink(None, client, kill, binary)
    try:
        connection = await connect(
            str(url),
            ssl=client_context() if url.scheme == "wss" else None,
            additional_headers={"dg-token": key_id} if key_id else {},
            open_timeout=DELIVERY_DEADLINE,
            ping_interval=None,
            compression=None,
        )
    except (InvalidHandshake, OSError, TimeoutError):
        return None
    return WsSink(connection, client, kill, binary)
