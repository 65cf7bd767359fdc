"""Callbacks: the callback URL checked at request time, then delivered asynchronously with retries.

A pending delivery is a small record and, between attempts, one asyncio timer; at most
CONCURRENT_ATTEMPTS tasks send the attempts that are due, taking them from a queue. No thread or
task per delivery, and a slow or hanging receiver never holds up a request.
"""

from __future__ import annotations

import asyncio
import base64
import socket
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Literal
from urllib.parse import quote

import httpx
from starlette.background import BackgroundTask
from starlette.responses import JSONResponse

from ..model.addresses import ALLOWED_PORTS, DEFAULT_PORTS, is_public_address
from ..model.errors import ApiError, bad_request
from ..model.faults import Fault
from ..model.settings import Settings
from ..model.tls import client_context

Kind = Literal["listen", "speak"]
CONCURRENT_ATTEMPTS = 100
"""Attempts in flight at once (httpx's default pool size); the others wait their turn in a queue,
never in an HTTP pool, whose bookkeeping grows with the requests waiting times its connections."""


@dataclass(frozen=True)
class Callback:
    """Where and how to deliver a result: URL without credentials, method, Basic credentials."""

    url: str
    method: str
    credentials: tuple[str, str] | None = None

    def headers(self, key_id: str, settings: Settings) -> dict[str, str]:
        """The delivery's headers: dg-token (the submitting key's identifier) and Basic auth."""
        headers: dict[str, str] = {}
        if settings.has(Fault.CALLBACK_DG_TOKEN_SECRET):
            headers["dg-token"] = settings.api_key
        elif not settings.has(Fault.CALLBACK_NO_DG_TOKEN):
            headers["dg-token"] = key_id
        if self.credentials and not settings.has(Fault.CALLBACK_NO_BASIC_AUTH):
            pair = ":".join(self.credentials).encode()
            headers["Authorization"] = "Basic " + base64.b64encode(pair).decode()
        return headers

    def target(self, settings: Settings) -> str:
        """The URL requested; credentials travel in the header, never in the request line."""
        if self.credentials and settings.has(Fault.CALLBACK_USERINFO_IN_QUERY):
            user, password = (quote(part, safe="") for part in self.credentials)
            return f"{self.url}{'&' if '?' in self.url else '?'}user={user}&password={password}"
        return self.url


def accepted(request_id: str, then: Callable[[], Awaitable[None]] | None = None) -> JSONResponse:
    """The immediate answer to a callback request: its request_id and nothing else; `then`
    runs once the answer is sent."""
    return JSONResponse(
        {"request_id": request_id},
        headers={"dg-request-id": request_id},
        background=None if then is None else BackgroundTask(then),
    )


def _schemes(kind: Kind, settings: Settings) -> frozenset[str]:
    """The protocols a callback URL may use for this kind of request."""
    if (kind == "listen" and settings.has(Fault.CALLBACK_WS_ACCEPTED)) or (
        kind == "speak" and settings.has(Fault.SPEAK_CALLBACK_WS_ACCEPTED)
    ):
        return frozenset({"http", "https", "ws", "wss"})
    return frozenset({"http", "https"})


def _port_allowed(port: int, settings: Settings) -> bool:
    """Only 80, 443, 8080 and 8443 (as the fault switches bend that rule)."""
    if settings.has(Fault.CALLBACK_ANY_PORT):
        return True
    if port == 8443 and settings.has(Fault.CALLBACK_REFUSE_8443):
        return False
    return port in ALLOWED_PORTS


def _method(values: Sequence[str], kind: Kind, settings: Settings) -> str:
    """callback_method: post or put in any case (default POST), or 400."""
    default = "PUT" if settings.has(Fault.CALLBACK_DEFAULT_PUT) else "POST"
    method = values[-1].upper() if values else default
    if method not in ("POST", "PUT"):
        raise bad_request(f"Invalid value for `callback_method`: {values[-1]!r} (POST or PUT).")
    if (kind == "listen" and settings.has(Fault.CALLBACK_ALWAYS_POST)) or (
        kind == "speak" and settings.has(Fault.SPEAK_CALLBACK_ALWAYS_POST)
    ):
        return "POST"
    return method


async def _public_address(host: str, port: int) -> str:
    """The address a callback host resolves to, refused unless every address it has is public
    (no SSRF): checked at request time and again by each attempt, which connects to it."""
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError:
        raise bad_request(f"Could not resolve the host of the callback URL {host!r}.") from None
    addresses = [str(info[4][0]) for info in infos]
    if not addresses or not all(is_public_address(address) for address in addresses):
        raise bad_request("The callback URL points to a private or loopback address.")
    return addresses[0]


async def parse_callback(
    query: Sequence[tuple[str, str]], kind: Kind, settings: Settings
) -> Callback | None:
    """The request's callback, checked now (protocol, port, method, address), or None."""
    urls = [value for name, value in query if name == "callback"]
    if not urls:
        return None
    try:
        url = httpx.URL(urls[-1])
        port = url.port if url.port is not None else DEFAULT_PORTS.get(url.scheme, 0)
    except (httpx.InvalidURL, ValueError):
        raise bad_request("The callback URL is not a valid URL.") from None
    if url.scheme not in _schemes(kind, settings) or not url.host:
        allowed = " or ".join(sorted(_schemes(kind, settings)))
        raise bad_request(f"The callback URL must be an absolute {allowed} URL.")
    if not _port_allowed(port, settings):
        raise bad_request(
            f"Callback port {port} is not allowed: use 80, 443, 8080 or 8443.",
        )
    method = _method([v for n, v in query if n == "callback_method"], kind, settings)
    if not settings.allow_private_callbacks:
        await _public_address(url.host, port)
    credentials = (url.username, url.password) if url.username or url.password else None
    bare = url.copy_with(username=None, password=None)
    return Callback(str(bare), method, credentials)


def _is_success(status: int, settings: Settings) -> bool:
    """Any 2xx ends the retries (only 200 with callback-retry-after-2xx)."""
    if settings.has(Fault.CALLBACK_RETRY_AFTER_2XX):
        return status == 200
    return 200 <= status <= 299


@dataclass(slots=True)
class _Delivery:
    """One pending delivery: the request to repeat, and the attempts it has left."""

    method: str
    url: str
    headers: dict[str, str]
    body: bytes
    attempts: int = 0
    """Attempts made so far."""


class Courier:
    """Sends deliveries in the background and retries them on the configured schedule."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._due: deque[_Delivery] = deque()
        self._senders: set[asyncio.Task[None]] = set()
        self._sending = 0
        """Senders still taking from the queue (a finished task leaves the set a step later)."""
        self._clients: list[httpx.AsyncClient] = []
        """Idle clients of one connection each, a sender's for as long as it runs."""

    def send(self, callback: Callback, body: bytes, content_type: str, key_id: str) -> None:
        """Queue a delivery; the caller answers its own request at once."""
        settings = self._settings
        headers = {"Content-Type": content_type, **callback.headers(key_id, settings)}
        target = callback.target(settings)
        self._enqueue(_Delivery(callback.method, target, headers, body))

    def _schedule(self) -> tuple[int, float]:
        """(attempts, seconds between them), as the fault switches bend them."""
        settings = self._settings
        retries = settings.retry_count
        if settings.has(Fault.CALLBACK_NO_RETRY):
            retries = 0
        elif settings.has(Fault.CALLBACK_20_RETRIES):
            retries = 20
        delay = 0.0 if settings.has(Fault.CALLBACK_RETRY_TOO_FAST) else settings.retry_delay
        return retries + 1, delay

    def _enqueue(self, delivery: _Delivery) -> None:
        """Make a delivery due now, starting a sender unless CONCURRENT_ATTEMPTS are busy."""
        self._due.append(delivery)
        if self._sending < CONCURRENT_ATTEMPTS:
            self._sending += 1
            task = asyncio.get_running_loop().create_task(self._send_due())
            self._senders.add(task)
            task.add_done_callback(self._senders.discard)

    async def _send_due(self) -> None:
        """Attempt due deliveries until none is left, on a client of this sender's own."""
        client = self._clients.pop() if self._clients else self._client()
        try:
            while self._due:
                try:
                    await self._attempt(client, self._due.popleft())
                except Exception as error:  # a bug ends its own delivery, never the others due
                    asyncio.get_running_loop().call_exception_handler(
                        {"message": "callback delivery failed", "exception": error}
                    )
        finally:
            self._clients.append(client)
            self._sending -= 1

    def _client(self) -> httpx.AsyncClient:
        """A client of one connection: a shared pool's bookkeeping costs more than the attempt."""
        return httpx.AsyncClient(
            verify=client_context(),
            timeout=self._settings.callback_timeout,
            limits=httpx.Limits(max_connections=1, max_keepalive_connections=1),
            trust_env=False,
            follow_redirects=False,
        )

    async def _pinned(self, target: str) -> tuple[httpx.URL, dict[str, str], dict[str, str]]:
        """The URL to connect to: unless private callbacks are allowed, the host's address as
        checked now (a name that turned private since the request is refused: no DNS
        rebinding), with the name kept for the Host header and TLS (SNI, certificate)."""
        url = httpx.URL(target)
        if self._settings.allow_private_callbacks:
            return url, {}, {}
        port = url.port if url.port is not None else DEFAULT_PORTS[url.scheme]
        address = await _public_address(url.host, port)
        host = {"Host": url.netloc.decode("ascii")}
        return url.copy_with(host=address), host, {"sni_hostname": url.host}

    async def _attempt(self, client: httpx.AsyncClient, delivery: _Delivery) -> None:
        """One attempt; unless it ends the delivery, a timer makes it due again after the delay."""
        settings = self._settings
        content = delivery.body
        if delivery.attempts and settings.has(Fault.CALLBACK_RETRY_BODY_DIFFERS):
            content = delivery.body[: len(delivery.body) // 2]  # not the same document, nor audio
        delivery.attempts += 1
        try:
            url, host, extensions = await self._pinned(delivery.url)
            response = await client.request(
                delivery.method, url, content=content, headers={**delivery.headers, **host},
                extensions=extensions,
            )  # fmt: skip
        except (httpx.HTTPError, ApiError):
            if settings.has(Fault.CALLBACK_NO_RETRY_ON_ERROR):
                return
        else:
            if _is_success(response.status_code, settings):
                return
        attempts, delay = self._schedule()
        if delivery.attempts < attempts:
            asyncio.get_running_loop().call_later(delay, self._enqueue, delivery)
