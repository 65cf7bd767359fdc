"""The recording HTTP client: every exchange with the target is kept, redacted, as evidence."""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from collections.abc import Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Final

import httpx

from conformance.errors import CheckFailed, TargetTimeout
from conformance.timing import POOL_IDLE
from conformance.wire import audio
from conformance.wire.cost import RunCost, body_seconds, fetched_clip_seconds, spoken_characters
from conformance.wire.limits import (
    Concurrency,
    Gate,
    RateLimitTally,
    current_gate,
    endpoint_of,
    gave_up,
    refusal_wait,
)
from conformance.wire.network import Network
from conformance.wire.redact import Redactor

Params = Sequence[tuple[str, str]]
"""Query parameters in order; a name may repeat (search=a&search=b)."""

MAX_RESPONSE_BYTES = 20_000_000
"""The largest response body read: generous for synthesized audio, bounded against hostility."""

BODY_EXCERPT = 2000
"""Characters of a body kept in evidence; the rest is summarised."""


class _RunCredentials:
    """Marker: send the run's own Authorization header."""


RUN_CREDENTIALS: Final = _RunCredentials()


@dataclass
class Exchange:
    """One request and its response (or transport error), secrets already redacted."""

    method: str
    url: str
    request_headers: dict[str, str]
    request_body: str
    status: int | None = None
    response_headers: dict[str, str] = field(default_factory=dict)
    response_body: str = ""
    elapsed: float = 0.0
    error: str | None = None
    attachment: str | None = None
    """The name of the suite's test clip sent as the body, if one was."""
    content: bytes = field(default=b"", repr=False)

    @property
    def content_type(self) -> str:
        """The response's media type without parameters, lower case."""
        return self.response_headers.get("content-type", "").split(";")[0].strip().lower()

    def describe(self) -> str:
        """One line naming the request and what came back."""
        outcome = self.error or f"{self.status} {self.content_type or '(no content type)'}"
        return f"{self.method} {self.url} -> {outcome}"

    def json(self) -> Any:
        """The response body parsed as JSON; a body that is not JSON fails the check."""
        try:
            return json.loads(self.content)
        except ValueError:
            raise CheckFailed(
                f"{self.describe()}: the body is not JSON: {self.response_body[:120]!r}"
            ) from None

    def evidence(self) -> dict[str, Any]:
        """The exchange as it goes into reports."""
        return {
            "request": {
                "method": self.method,
                "url": self.url,
                "headers": self.request_headers,
                "body": self.request_body,
            },
            "response": None
            if self.status is None
            else {
                "status": self.status,
                "headers": self.response_headers,
                "body": self.response_body,
            },
            "elapsed": round(self.elapsed, 4),
            "error": self.error,
            "attachment": self.attachment,
        }


current_exchanges: ContextVar[list[Exchange] | None] = ContextVar("current_exchanges", default=None)
"""The evidence list of the case running in this task; the client appends to it."""


def record(exchange: Exchange) -> None:
    """Add an exchange to the running case's evidence (once; equal exchanges, such as identical
    retried callback attempts, are each kept)."""
    evidence = current_exchanges.get()
    if evidence is not None and all(kept is not exchange for kept in evidence):
        evidence.append(exchange)


async def _read_capped(response: httpx.Response) -> bytes:
    """The body, refusing one larger than any answer of the contract could be."""
    chunks, size = [], 0
    async for chunk in response.aiter_bytes():
        size += len(chunk)
        if size > MAX_RESPONSE_BYTES:
            raise CheckFailed(
                f"the response body exceeds {MAX_RESPONSE_BYTES // 1_000_000} MB; "
                "no answer of the contract is that large"
            )
        chunks.append(chunk)
    return b"".join(chunks)


@cache
def _clip_names() -> dict[str, str]:
    """SHA-256 of each generated clip -> its name, to recognise clips sent as bodies."""
    return {hashlib.sha256(make().wav).hexdigest(): name for name, make in audio.CLIPS.items()}


def _summarise_body(content: bytes, content_type: str, redactor: Redactor) -> str:
    """A body as evidence: text excerpts for text, a size line for binary."""
    if not content:
        return ""
    if content_type.startswith(("application/json", "text/")) or content_type.endswith("+json"):
        text = content.decode("utf-8", "replace")
        more = (
            f"... ({len(text) - BODY_EXCERPT} more characters)" if len(text) > BODY_EXCERPT else ""
        )
        return redactor.text(text[:BODY_EXCERPT]) + more
    return f"<{len(content)} bytes {content_type or 'binary'}>"


class TargetClient:
    """Sends requests to the target with the run's credentials, deadlines and per-endpoint caps,
    outwaiting rate-limit refusals."""

    def __init__(
        self,
        base_url: str,
        authorization: str,
        redactor: Redactor,
        request_timeout: float,
        concurrency: Concurrency,
        cost: RunCost | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        network: Network | None = None,
        rate_limit: float | None = None,
    ) -> None:
        """`transport` replaces the network (httpx.MockTransport, for unit tests of cases);
        `network` adds headers, a proxy and TLS options; `rate_limit` paces the starts."""
        self.base_url = base_url
        self._authorization = authorization
        self._redactor = redactor
        self._timeout = request_timeout
        network = network or Network()
        self._gate = Gate(concurrency, request_timeout, cost or RunCost(), network, rate_limit)
        current_gate.set(self._gate)  # the run's cases, started after this, open streams under it
        in_flight = sum(concurrency.cap(name) for name in ("listen", "speak", "manage"))
        self._http = httpx.AsyncClient(
            timeout=httpx.Timeout(request_timeout),
            follow_redirects=False,
            limits=httpx.Limits(max_connections=in_flight * 2, keepalive_expiry=POOL_IDLE),
            transport=transport,
            proxy=network.proxy,
            verify=network.verification(),
            trust_env=network.proxy is None,
        )

    @property
    def rate_limited(self) -> RateLimitTally:
        """The rate-limit refusals this run's requests and streams met and waited out."""
        return self._gate.rate_limited

    @property
    def cost(self) -> RunCost:
        """What this run's requests and streams have spent."""
        return self._gate.cost

    async def aclose(self) -> None:
        """Close pooled connections."""
        await self._http.aclose()

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Params = (),
        content: bytes | None = None,
        json_body: Any = None,
        content_type: str | None = None,
        authorization: str | _RunCredentials | None = RUN_CREDENTIALS,
    ) -> Exchange:
        """Send one request and record it; transport failures become verdicts, not crashes."""
        headers: dict[str, str] = dict(self._gate.network.headers)
        if authorization is RUN_CREDENTIALS:
            headers["Authorization"] = self._authorization
        elif isinstance(authorization, str):
            headers["Authorization"] = authorization
        if json_body is not None:
            content = json.dumps(json_body).encode()
            content_type = content_type or "application/json"
        if content_type is not None:
            headers["Content-Type"] = content_type
        request = self._http.build_request(
            method,
            self.base_url + path,
            params=list(params) or None,
            content=content,
            headers=headers,
        )
        exchange = Exchange(
            method=method,
            url=self._redactor.text(str(request.url)),
            request_headers={k: self._redactor.header(k, v) for k, v in headers.items()},
            request_body=_summarise_body(content or b"", content_type or "", self._redactor),
            attachment=_clip_names().get(hashlib.sha256(content).hexdigest()) if content else None,
        )
        body, endpoint = content or b"", endpoint_of(path)
        seconds = body_seconds(body, content_type or "", params, exchange.attachment)
        characters = spoken_characters(body, content_type or "") if endpoint == "speak" else 0
        fetch = fetched_clip_seconds(body)
        started, refusals = time.monotonic(), 0
        while True:  # each attempt is billed; one the budget cannot afford is not sent
            self._gate.cost.request(
                endpoint, audio_seconds=seconds, characters=characters, fetch=fetch
            )
            if refusals == 0:
                record(exchange)
            await self._send(request, exchange, endpoint)
            exchange.elapsed = time.monotonic() - started
            exchange.response_body = _summarise_body(
                exchange.content, exchange.content_type, self._redactor
            )
            wait = refusal_wait(exchange.status or 0, exchange.response_headers, refusals)
            if wait is None:
                return exchange
            refusals += 1
            self._gate.rate_limited.met(endpoint)
            if exchange.elapsed + wait > self._gate.budget:
                exchange.error = gave_up(refusals, exchange.status or 0, exchange.elapsed)
                raise TargetTimeout(exchange.describe())
            await asyncio.sleep(wait)  # the back-off is the waiting itself

    async def _send(self, request: httpx.Request, exchange: Exchange, endpoint: str) -> None:
        """One attempt under the endpoint's cap, at the run's pace (--rate-limit, waited before
        the request's own deadline starts); transport failures become verdicts."""
        await self._gate.pacer.turn()
        started = time.monotonic()
        try:
            async with self._gate.slots[endpoint], asyncio.timeout(self._timeout):
                response = await self._http.send(request, stream=True)
                try:
                    exchange.status = response.status_code
                    exchange.response_headers = {
                        k: self._redactor.header(k, v) for k, v in response.headers.items()
                    }
                    exchange.content = await _read_capped(response)
                finally:
                    await response.aclose()
        except (TimeoutError, httpx.TimeoutException):
            exchange.elapsed = time.monotonic() - started
            exchange.error = f"no complete answer within {self._timeout:g} s"
            raise TargetTimeout(exchange.describe()) from None
        except httpx.HTTPError as exc:
            exchange.elapsed = time.monotonic() - started
            exchange.error = (
                f"connection failed: {self._redactor.text(str(exc)) or type(exc).__name__}"
            )
            raise CheckFailed(exchange.describe()) from None
