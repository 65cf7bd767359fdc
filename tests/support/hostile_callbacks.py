"""A hostile callback target for tests: a proxy in front of a real reference server that answers
every deliverable `callback` request itself and then delivers the result the wrong way."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import uuid
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from urllib.parse import urlsplit, urlunsplit

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from conformance.reference.model.settings import DEFAULT_API_KEY_ID
from conformance.timing import EMBEDDED_CALLBACK_TIMEOUT, EMBEDDED_RETRY_DELAY

MODES = ("silent", "flood", "wrong-path", "wrong-request-id")
"""silent: never calls back; flood: 100 attempts whatever the answers; wrong-path: the usual
schedule to another path of the same host and port; wrong-request-id: the usual schedule, with a
request_id in the body that is not the one the acceptance gave."""
FLOOD = 100
RETRY_COUNT = 10
FORWARD_TIMEOUT = 60.0
"""Seconds the proxy gives the reference to answer a forwarded request (a loaded machine)."""
ALLOWED_PORTS = {80, 443, 8080, 8443}
DEFAULT_PORTS = {"http": 80, "https": 443}
HOP_BY_HOP = {"connection", "content-length", "content-encoding", "transfer-encoding", "host"}


def _deliverable(callback: str) -> bool:
    """Whether the contract lets this callback URL be accepted (else the reference refuses it)."""
    parts = urlsplit(callback)
    if parts.scheme not in DEFAULT_PORTS or not parts.hostname:
        return False
    try:
        port = parts.port if parts.port is not None else DEFAULT_PORTS[parts.scheme]
    except ValueError:
        return False
    return port in ALLOWED_PORTS


def _moved(callback: str) -> str:
    """The same scheme, host and port, another path."""
    parts = urlsplit(callback)
    return urlunsplit((*parts[:2], parts.path.rstrip("/") + "-moved", parts.query, ""))


def _body(content: bytes, content_type: str, request_id: str) -> bytes:
    """The reference's synchronous answer with `request_id` as its metadata.request_id."""
    if not content_type.startswith("application/json"):
        return content
    body = json.loads(content)
    body["metadata"]["request_id"] = request_id
    return json.dumps(body).encode()


def _relay(answer: httpx.Response) -> Response:
    """The reference's answer, as it came."""
    headers = {k: v for k, v in answer.headers.items() if k.lower() not in HOP_BY_HOP}
    return Response(answer.content, answer.status_code, headers)


class CallbackProxy:
    """Forwards everything to the reference, except deliverable callback requests."""

    def __init__(self, mode: str, upstream: str) -> None:
        assert mode in MODES, mode
        self.mode = mode
        self.upstream = upstream
        self.client = httpx.AsyncClient(timeout=FORWARD_TIMEOUT)
        self.deliveries: set[asyncio.Task[None]] = set()

    async def forward(self, request: Request, params: Sequence[tuple[str, str]]) -> httpx.Response:
        """The same request to the reference, with these query parameters."""
        headers = {k: v for k, v in request.headers.items() if k.lower() not in HOP_BY_HOP}
        return await self.client.request(
            request.method,
            self.upstream + request.url.path,
            params=list(params),
            headers=headers,
            content=await request.body(),
        )

    async def handle(self, request: Request) -> Response:
        """Answer a deliverable callback request at once; forward anything else."""
        params = request.query_params.multi_items()
        callback = request.query_params.get("callback")
        if callback is None or not _deliverable(callback):
            return _relay(await self.forward(request, params))
        kept = [(k, v) for k, v in params if k not in ("callback", "callback_method")]
        answer = await self.forward(request, kept)
        if not answer.is_success:
            return _relay(answer)
        request_id = str(uuid.uuid4())
        told = str(uuid.uuid4()) if self.mode == "wrong-request-id" else request_id
        content_type = answer.headers.get("content-type", "application/octet-stream")
        method = (
            "PUT" if request.query_params.get("callback_method", "").upper() == "PUT" else "POST"
        )
        body = _body(answer.content, content_type, told)
        task = asyncio.create_task(self.deliver(method, callback, body, content_type))
        self.deliveries.add(task)
        task.add_done_callback(self.deliveries.discard)
        return JSONResponse({"request_id": request_id})

    async def close(self) -> None:
        """Stop the deliveries still under way, then the client they use."""
        for task in self.deliveries:
            task.cancel()
        await asyncio.gather(*self.deliveries, return_exceptions=True)
        await self.client.aclose()

    async def deliver(self, method: str, url: str, body: bytes, content_type: str) -> None:
        """Deliver the way the mode says; otherwise retry failures like the reference, and
        name the reference's key (its default identifier) in dg-token as it does."""
        if self.mode == "silent":
            return
        if self.mode == "wrong-path":
            url = _moved(url)
        attempts = FLOOD if self.mode == "flood" else RETRY_COUNT + 1
        for attempt in range(attempts):
            if attempt:
                await asyncio.sleep(EMBEDDED_RETRY_DELAY)  # the declared retry schedule
            try:
                answer = await self.client.request(
                    method,
                    url,
                    content=body,
                    headers={"content-type": content_type, "dg-token": DEFAULT_API_KEY_ID},
                    timeout=EMBEDDED_CALLBACK_TIMEOUT,
                )
            except httpx.HTTPError:
                continue
            if answer.is_success and self.mode != "flood":
                return


@contextmanager
def hostile_callbacks(mode: str, upstream: str) -> Iterator[str]:
    """Serve the proxy for `mode` in front of `upstream` on a free loopback port; yield its URL."""
    proxy = CallbackProxy(mode, upstream)
    started = threading.Event()

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        started.set()
        yield
        await proxy.close()

    methods = ["GET", "POST", "PUT", "PATCH", "DELETE"]
    app = Starlette(
        routes=[Route("/{path:path}", proxy.handle, methods=methods)], lifespan=lifespan
    )
    config = uvicorn.Config(
        app, log_level="error", access_log=False, lifespan="on", timeout_graceful_shutdown=2
    )
    with uvicorn_thread(config, started, 10, "the hostile callback proxy") as port:
        yield f"http://127.0.0.1:{port}"


@contextmanager
def uvicorn_thread(
    config: uvicorn.Config, started: threading.Event, deadline: float, what: str
) -> Iterator[int]:
    """Serve `config` from a thread on a free loopback port until the block ends; yield the
    port once the app's lifespan has set `started`."""
    server = uvicorn.Server(config)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)  # connections wait in the backlog until uvicorn serves them
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        assert started.wait(deadline), f"{what} did not start"
        yield sock.getsockname()[1]
    finally:
        server.should_exit = True
        thread.join(deadline)
        sock.close()
