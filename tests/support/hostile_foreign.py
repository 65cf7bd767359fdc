"""Foreign targets for tests: small servers imitating classes of Deepgram-compatible servers nobody
here wrote (issue 13), each in front of a real reference server, REST and WebSocket on one port
as the suite expects (it derives ws:// from the --target URL)."""

from __future__ import annotations

import asyncio
import hashlib
import json
import random
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager, suppress
from datetime import UTC, datetime
from typing import Any

import httpx
import uvicorn
from hostile_callbacks import FORWARD_TIMEOUT, HOP_BY_HOP, _relay, uvicorn_thread
from hostile_stream import DEADLINE, connect_upstream
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.typing import Data

MODES = ("replay", "random", "gateway", "sync-callback", "wrong-base")
"""replay: a fixture-replay emulator, every accepted synchronous listen answered with one recorded
body (utterances only: no metadata, no results.channels); random: a randomised mock, one static
request_id everywhere, random word confidences, a Metadata message at connect; gateway: a
streaming-only gateway, WebSocket /v1/listen relayed, every other request 404 (HTTP) or 403
(upgrade), streams with a callback closed at once with 1008; sync-callback: callback requests
answered synchronously with the full result, no delivery ever; wrong-base: the target URL of a
user who got the base wrong, 404 and 403 for everything."""
STATIC_REQUEST_ID = "00000000-0000-4000-8000-000000000000"
"""The random mock's request_id, for every request and every stream."""
NOT_SUPPORTED = "callback delivery is not supported through the proxy"
"""The gateway's close reason for a stream with a callback."""
NGINX_404 = (
    "<html>\r\n<head><title>404 Not Found</title></head>\r\n<body>\r\n"
    "<center><h1>404 Not Found</h1></center>\r\n<hr><center>nginx/1.24.0</center>\r\n"
    "</body>\r\n</html>\r\n"
)
"""What a real nginx answers for a path it has no location for."""
METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]


def _word(text: str, start: float, end: float, confidence: float) -> dict[str, Any]:
    """One recorded word, as a real recording holds it."""
    return {
        "word": text,
        "start": start,
        "end": end,
        "confidence": confidence,
        "punctuated_word": text.capitalize(),
    }


FIXTURE: dict[str, Any] = {
    "results": {
        "utterances": [
            {
                "start": 0.32,
                "end": 1.44,
                "confidence": 0.97,
                "channel": 0,
                "transcript": "hello there",
                "words": [_word("hello", 0.32, 0.8, 0.98), _word("there", 0.88, 1.44, 0.96)],
                "id": "9c7a1b9e-3f4d-4c1a-9d7e-2b8f0a6c5e11",
            },
            {
                "start": 2.1,
                "end": 3.05,
                "confidence": 0.93,
                "channel": 0,
                "transcript": "good morning",
                "words": [_word("good", 2.1, 2.46, 0.95), _word("morning", 2.5, 3.05, 0.91)],
                "id": "4e2d8c6a-1b3f-4a5e-8c7d-9f0e1a2b3c44",
            },
        ]
    }
}
"""The replay emulator's one recorded body: utterances, and no metadata or results.channels."""


def _is_listen(request: Request) -> bool:
    """Whether the request is a pre-recorded transcription, the only answer replay and random
    change."""
    return request.method == "POST" and request.url.path.rstrip("/") == "/v1/listen"


def _not_found(path: str) -> Response:
    """A 404 as the gateway's nginx gives it: JSON under the API's prefixes, HTML elsewhere."""
    if path.startswith(("/v1/listen", "/v1/speak")):
        return JSONResponse({"error": "not found"}, 404)
    return HTMLResponse(NGINX_404, 404)


def _randomised(body: Any, rng: random.Random) -> Any:
    """The body with every request_id static and every word confidence random in [0, 1]."""
    if isinstance(body, list):
        return [_randomised(item, rng) for item in body]
    if not isinstance(body, dict):
        return body
    out = {k: _randomised(v, rng) for k, v in body.items()}
    if "request_id" in out:
        out["request_id"] = STATIC_REQUEST_ID
    if "word" in out and "confidence" in out:
        out["confidence"] = rng.random()
    return out


def _connect_metadata() -> str:
    """The random mock's Metadata message at connect: valid in shape, describing nothing."""
    return json.dumps(
        {
            "type": "Metadata",
            "transaction_key": "deprecated",
            "request_id": STATIC_REQUEST_ID,
            "sha256": hashlib.sha256(b"").hexdigest(),
            "created": datetime.now(UTC).isoformat(),
            "duration": 0,
            "channels": 1,
            "models": [],
            "model_info": {},
        }
    )


class ForeignTarget:
    """Relays to the reference, HTTP and WebSocket, changed the way the mode says."""

    def __init__(self, mode: str, upstream: str) -> None:
        assert mode in MODES, mode
        self.mode = mode
        self.upstream = upstream
        self.ws_upstream = "ws" + upstream.removeprefix("http")
        self.client = httpx.AsyncClient(timeout=FORWARD_TIMEOUT)
        self.rng = random.Random(13)

    async def forward(self, request: Request, drop: tuple[str, ...] = ()) -> httpx.Response:
        """The same request to the reference, without the query parameters in `drop`."""
        headers = {k: v for k, v in request.headers.items() if k.lower() not in HOP_BY_HOP}
        params = httpx.QueryParams(
            [(k, v) for k, v in request.query_params.multi_items() if k not in drop]
        )
        return await self.client.request(
            request.method,
            self.upstream + request.url.path,
            params=params,
            headers=headers,
            content=await request.body(),
        )

    async def handle(self, request: Request) -> Response:
        """One HTTP request, answered as the mode says."""
        if self.mode in ("gateway", "wrong-base"):
            if self.mode == "wrong-base":
                return HTMLResponse(NGINX_404, 404)
            return _not_found(request.url.path)
        callback = "callback" in request.query_params
        if self.mode == "sync-callback" and callback and request.method == "POST":
            return _relay(await self.forward(request, ("callback", "callback_method")))
        answer = await self.forward(request)
        if self.mode == "replay" and _is_listen(request) and not callback:
            if answer.status_code == 200:
                return JSONResponse(FIXTURE)
        if self.mode == "random" and _is_listen(request) and answer.is_success:
            if answer.headers.get("content-type", "").startswith("application/json"):
                return JSONResponse(_randomised(answer.json(), self.rng), answer.status_code)
        return _relay(answer)

    async def stream(self, websocket: WebSocket) -> None:
        """One WebSocket upgrade, relayed or refused as the mode says."""
        path = websocket.url.path.rstrip("/")
        if self.mode == "wrong-base" or (self.mode == "gateway" and path != "/v1/listen"):
            await websocket.close(1008)  # before accept: uvicorn answers the upgrade 403
            return
        if self.mode == "gateway" and "callback" in websocket.query_params:
            await websocket.accept()
            await websocket.close(1008, NOT_SUPPORTED)
            return
        query = websocket.url.query
        try:
            upstream = await connect_upstream(
                self.ws_upstream + websocket.url.path + (f"?{query}" if query else ""),
                websocket.headers.get("authorization"),
                websocket.headers.get("sec-websocket-protocol", ""),
            )
        except InvalidStatus as exc:
            refused = exc.response
            content_type = refused.headers.get("Content-Type", "text/plain")
            await websocket.send_denial_response(
                Response(bytes(refused.body), refused.status_code, media_type=content_type)
            )
            return
        await websocket.accept(subprotocol=upstream.subprotocol)
        if self.mode == "random":
            await websocket.send_text(_connect_metadata())
        await asyncio.gather(self._up(websocket, upstream), self._down(websocket, upstream))

    async def _up(self, websocket: WebSocket, upstream: ClientConnection) -> None:
        """Client to reference, untouched; the client's close closes the upstream stream. Once
        the reference has ended the stream, the client's frames are still read (and dropped),
        so that its close is seen."""
        with suppress(WebSocketDisconnect, RuntimeError):
            while True:
                message = await websocket.receive()
                if message["type"] == "websocket.disconnect":
                    break
                with suppress(ConnectionClosed):
                    if message.get("bytes") is not None:
                        await upstream.send(message["bytes"])
                    elif message.get("text") is not None:
                        await upstream.send(message["text"])
        await upstream.close()

    async def _down(self, websocket: WebSocket, upstream: ClientConnection) -> None:
        """Reference to client, changed as the mode says; the reference's close is relayed."""
        with suppress(ConnectionClosed, WebSocketDisconnect, RuntimeError):
            async for message in upstream:
                await self._send(websocket, message)
        code = upstream.close_code if upstream.close_code not in (None, 1005, 1006) else 1000
        with suppress(RuntimeError, WebSocketDisconnect):
            await websocket.close(code or 1000, upstream.close_reason or "")

    async def _send(self, websocket: WebSocket, message: Data) -> None:
        """Send one reference message on, randomised for the random mock."""
        if isinstance(message, bytes):
            await websocket.send_bytes(message)
            return
        if self.mode == "random":
            message = json.dumps(_randomised(json.loads(message), self.rng))
        await websocket.send_text(message)


@contextmanager
def _serving(
    handle: Callable[[Request], Awaitable[Response]],
    stream: Callable[[WebSocket], Awaitable[None]],
    close: Callable[[], Awaitable[None]],
) -> Iterator[int]:
    """Serve HTTP and WebSocket on one free loopback port in a background thread; yield it."""
    started = threading.Event()

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        """Tell the test the server is up; on shutdown, release what the target holds."""
        started.set()
        yield
        await close()

    app = Starlette(
        routes=[
            Route("/{path:path}", handle, methods=METHODS),
            WebSocketRoute("/{path:path}", stream),
        ],
        lifespan=lifespan,
    )
    config = uvicorn.Config(
        app,
        log_level="error",
        access_log=False,
        lifespan="on",
        timeout_graceful_shutdown=2,
        ws_ping_interval=None,
        ws_per_message_deflate=False,
        ws_max_size=1 << 26,
    )
    with uvicorn_thread(config, started, DEADLINE, "the foreign target") as port:
        yield port


@contextmanager
def foreign(mode: str, upstream: str) -> Iterator[str]:
    """Serve the foreign target `mode` in front of the reference at `upstream`; yield the URL to
    give --target (for wrong-base, a base path under which nothing is served)."""
    target = ForeignTarget(mode, upstream)
    with _serving(target.handle, target.stream, target.client.aclose) as port:
        suffix = "/wrong" if mode == "wrong-base" else ""
        yield f"http://127.0.0.1:{port}{suffix}"
