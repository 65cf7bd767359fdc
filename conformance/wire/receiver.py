"""The suite's own HTTP server: serves test audio to targets and receives their callbacks
(HTTP requests, or WebSocket messages for streaming callbacks), one mailbox per case."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route, WebSocketRoute
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket, WebSocketDisconnect
from websockets.frames import CloseCode

from conformance.errors import HarnessError
from conformance.wire import audio, tls
from conformance.wire.addresses import ipv4_loopback
from conformance.wire.cost import RunCost
from conformance.wire.mailbox import CLOSE, HANG, Answer, Delivery, Fetch, Mailbox
from conformance.wire.serving import (
    DROP,
    TLS_PORT,
    Door,
    QuietDrop,
    bind,
    bind_tls,
    server,
    stop,
)


@dataclass(frozen=True)
class _Asgi:
    """A raw ASGI handler as a route endpoint (Starlette wraps plain functions as requests)."""

    handler: Any

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.handler(scope, receive, send)


class Receiver:
    """A Starlette app served by uvicorn inside the run's event loop."""

    def __init__(
        self,
        host: str,
        public_url: str | None,
        startup_deadline: float,
        shutdown_deadline: float,
        *,
        reachable_from_target: bool,
        cost: RunCost | None = None,
    ) -> None:
        self._host = host
        self.cost = cost or RunCost()
        """The run's spending: the clips the target fetches and the deliveries it makes."""
        self.reachable_from_target = reachable_from_target
        """Whether the target can open the URLs this receiver hands out."""
        self._public_url = public_url.rstrip("/") if public_url else None
        self._startup_deadline = startup_deadline
        self._shutdown_deadline = shutdown_deadline
        self._started = asyncio.Event()
        self._closing = asyncio.Event()
        self._server: uvicorn.Server | None = None
        self._task: asyncio.Task[None] | None = None
        self._mailboxes: dict[str, Mailbox] = {}
        self._quiet = QuietDrop()
        self._app: Starlette | None = None
        self._doors: list[Door] = []
        self.fetches: list[Fetch] = []
        self.strays: list[Fetch] = []
        """Requests to paths no case gave out (a target delivering to the wrong URL)."""
        self.local_url = ""
        self.local_tls_url: str | None = None
        """https://HOST:8443 when the receiver also serves TLS on its own address."""
        self._tls_server: uvicorn.Server | None = None
        self._tls_task: asyncio.Task[None] | None = None

    @property
    def base_url(self) -> str:
        """The URL targets use to reach the receiver."""
        return self._public_url or self.local_url

    @property
    def host(self) -> str:
        """The host name or address targets use to reach the receiver."""
        return urlsplit(self.base_url).hostname or self._host

    @property
    def tls_base_url(self) -> str | None:
        """The https URL targets use to reach the receiver: a public https URL as given, else
        the receiver's own TLS address (its certificate from this run's authority, which the
        embedded reference trusts); None when there is neither."""
        if self._public_url:
            return self._public_url if self._public_url.startswith("https://") else None
        return self.local_tls_url

    def audio_url(self, clip: str) -> str:
        """Where the target can fetch a test clip."""
        return f"{self.base_url}/audio/{clip}.wav"

    def mailbox(
        self,
        label: str,
        script: Sequence[Answer] = (),
        *,
        userinfo: tuple[str, str] | None = None,
        base_url: str | None = None,
    ) -> Mailbox:
        """A fresh callback path of its own, so concurrent cases never see each other's mail."""
        key = f"{label}-{secrets.token_hex(6)}"
        parts = urlsplit(base_url or self.base_url)
        path = f"{parts.path.rstrip('/')}/callback/{key}"
        netloc = parts.netloc.rpartition("@")[2]
        if userinfo is not None:
            netloc = f"{quote(userinfo[0], safe='')}:{quote(userinfo[1], safe='')}@{netloc}"
        box = Mailbox(urlunsplit((parts.scheme, netloc, path, "", "")), path, script)
        self._mailboxes[key] = box
        return box

    def behind_door(self, label: str) -> tuple[Mailbox, Door] | None:
        """A mailbox on a second loopback address that refuses connections until its door
        opens; None when targets reach the receiver through --callback-public-url or off
        loopback (a second address would not be reachable the same way)."""
        if self._public_url or self._app is None or not ipv4_loopback(self._host):
            return None
        sock = bind(self._host, listen=False)
        host, port = sock.getsockname()[:2]
        door = Door(sock, self._app, self._shutdown_deadline)
        self._doors.append(door)
        return self.mailbox(label, base_url=f"http://{host}:{port}"), door

    async def _serve_audio(self, request: Request) -> Response:
        """GET /audio/NAME.wav: one of the generated clips."""
        name = request.path_params["name"]
        self.fetches.append(
            Fetch(request.method, request.url.path, request.headers.get("user-agent", ""))
        )
        clip = audio.CLIPS.get(name)
        if clip is None:
            return Response("no such clip", status_code=404, media_type="text/plain")
        self.cost.fetched(clip().duration)
        return Response(clip().wav, media_type="audio/wav")

    async def _callback(self, scope: Scope, receive: Receive, send: Send) -> None:
        """ANY /callback/KEY: record the attempt, then answer as the mailbox's script says."""
        arrived = time.monotonic()
        request = Request(scope, receive)
        box = self._mailboxes.get(request.path_params["key"])
        body = await request.body()
        if box is None:
            await self._stray(scope, receive, send)
            return
        answer = box.next_answer()
        delivery = Delivery(
            method=request.method,
            path=request.url.path,
            query=scope.get("query_string", b"").decode("latin-1"),
            headers={k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]},
            body=body,
            arrived=arrived,
            answer=answer,
        )
        await box.add(delivery)
        self.cost.delivered()
        try:
            if answer == HANG:
                await self._hold(receive)
            elif answer == CLOSE:
                drop: Callable[[], None] = scope[DROP]
                drop()
                await self._hold(receive)
            else:
                await Response(status_code=answer)(scope, receive, send)
        finally:
            delivery.ended_at = time.monotonic()
            delivery.ended.set()

    async def _stray(self, scope: Scope, receive: Receive, send: Send) -> None:
        """ANY other path: keep it (to explain a delivery that never came), answer 404."""
        request = Request(scope, receive)
        self.strays.append(
            Fetch(request.method, request.url.path, request.headers.get("user-agent", ""))
        )
        await Response("no such callback path", 404)(scope, receive, send)

    def strays_for(self, box: Mailbox) -> list[Fetch]:
        """Stray requests that look meant for this mailbox (its key in their path), else all."""
        key = box.path.rsplit("/", 1)[-1]
        near = [stray for stray in self.strays if key in stray.path]
        return near or list(self.strays)

    async def _ws_callback(self, websocket: WebSocket) -> None:
        """WebSocket /callback/KEY (streaming callbacks): each frame is one delivery, a binary
        one recorded with the method "WEBSOCKET BINARY" so a case can say so; a CLOSE in the
        mailbox's script drops the connection once that frame has arrived."""
        box = self._mailboxes.get(websocket.path_params["key"])
        if box is None:
            await websocket.close(CloseCode.POLICY_VIOLATION, "no such callback path")
            return
        await websocket.accept()
        headers = dict(websocket.headers)
        query = websocket.url.query
        with contextlib.suppress(WebSocketDisconnect):  # our close may find the sender gone
            while (message := await websocket.receive())["type"] != "websocket.disconnect":
                text = message.get("text")
                body = text.encode() if text is not None else bytes(message.get("bytes") or b"")
                method = "WEBSOCKET" if text is not None else "WEBSOCKET BINARY"
                answer = box.next_answer()
                delivery = Delivery(
                    method, websocket.url.path, query, headers, body,
                    time.monotonic(), 101 if answer != CLOSE else CLOSE,
                )  # fmt: skip
                delivery.ended_at = delivery.arrived
                delivery.ended.set()
                await box.add(delivery)
                self.cost.delivered()
                if answer == CLOSE:
                    await websocket.close(
                        CloseCode.GOING_AWAY, "the suite dropped the callback connection"
                    )
                    return

    async def _hold(self, receive: Receive) -> None:
        """Wait until the sender disconnects or the receiver stops, whichever comes first."""

        async def disconnected() -> None:
            while (await receive())["type"] != "http.disconnect":
                pass

        waits = [asyncio.ensure_future(disconnected()), asyncio.ensure_future(self._closing.wait())]
        try:
            await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for wait in waits:
                wait.cancel()

    @contextlib.asynccontextmanager
    async def _lifespan(self, app: Starlette) -> Any:
        """Tell start() the server is accepting requests."""
        self._started.set()
        yield

    def _routes(self, prefix: str) -> list[BaseRoute]:
        """Audio and callback routes under a path prefix ("" or --callback-public-url's path)."""
        methods = ["GET", "POST", "PUT", "PATCH", "DELETE"]
        return [
            Route(f"{prefix}/audio/{{name}}.wav", self._serve_audio, methods=["GET"]),
            Route(f"{prefix}/callback/{{key}}", _Asgi(self._callback), methods=methods),
            WebSocketRoute(f"{prefix}/callback/{{key}}", self._ws_callback),
        ]

    async def start(self) -> None:
        """Bind, start serving, and wait (with a deadline) until the app is up: on
        --callback-host's own 8080 when --callback-public-url leads there (another address
        would leave every delivery refused), else on the first free loopback address."""
        sock = bind(self._host, exact=bool(self._public_url))
        host, port = sock.getsockname()[:2]
        self.local_url = f"http://{host}:{port}"
        methods = ["GET", "POST", "PUT", "PATCH", "DELETE"]
        prefix = urlsplit(self._public_url or "").path.rstrip("/")
        self._app = Starlette(
            routes=[
                *self._routes(""),
                *(self._routes(prefix) if prefix else []),
                Route("/{path:path}", _Asgi(self._stray), methods=methods),
            ],
            lifespan=self._lifespan,
        )
        logging.getLogger("uvicorn.error").addFilter(self._quiet)
        self._server = server(self._app, "on")
        self._task = asyncio.create_task(self._server.serve(sockets=[sock]))
        secure = bind_tls(host) if ipv4_loopback(host) else None
        if secure is not None:
            self._tls_server = server(self._app, "off", tls.server_files(host))
            self._tls_task = asyncio.create_task(self._tls_server.serve(sockets=[secure]))
            self.local_tls_url = f"https://{host}:{TLS_PORT}"
        try:
            await asyncio.wait_for(self._started.wait(), self._startup_deadline)
        except TimeoutError:
            raise HarnessError(
                f"the receiver did not start within {self._startup_deadline:g} s"
            ) from None

    async def stop(self) -> None:
        """Release held attempts, ask the server to exit and wait for it, with a deadline."""
        self._closing.set()
        await asyncio.gather(*(door.close() for door in self._doors))
        logging.getLogger("uvicorn.error").removeFilter(self._quiet)
        if self._tls_server is not None and self._tls_task is not None:
            await stop(self._tls_server, self._tls_task, self._shutdown_deadline)
        if self._server is not None and self._task is not None:
            await stop(self._server, self._task, self._shutdown_deadline)
