"""Per-endpoint caps on exchanges in flight, and the rate-limit refusals a run meets and outwaits:
a live service refuses a burst past its plan's limits with 429, which is no verdict on it."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from conformance.timing import BACKOFF_FIRST, BACKOFF_MOST, RETRY_AFTER_MOST
from conformance.wire.cost import RunCost
from conformance.wire.network import Network, Pacer

ENDPOINTS = ("listen", "speak", "manage", "streams")
"""What the caps apply to: POST /v1/listen, POST /v1/speak, every other REST path, and open
WebSocket streams (each holds its slot until it closes)."""


class RateLimitTally:
    """How many answers were rate-limit refusals (429, or 503 with Retry-After), by endpoint:
    counted while the run goes, read by the reports."""

    def __init__(self) -> None:
        self.by_endpoint: Counter[str] = Counter()

    def met(self, endpoint: str) -> None:
        """Count one refusal."""
        self.by_endpoint[endpoint] += 1

    @property
    def responses(self) -> int:
        """Every refusal the run met."""
        return sum(self.by_endpoint.values())


@dataclass(frozen=True)
class Concurrency:
    """At most this many exchanges in flight per endpoint (defaults under Deepgram's smallest
    documented plan limits: 5 text-to-speech requests, 50 streams, 100 transcriptions)."""

    listen: int = 8
    speak: int = 5
    manage: int = 8
    streams: int = 40

    @classmethod
    def of(cls, caps: Mapping[str, int]) -> Concurrency:
        """Caps from a mapping of endpoint names (the profile's [concurrency] table, the flag)."""
        default = cls()
        listen, speak, manage, streams = (int(caps.get(n, default.cap(n))) for n in ENDPOINTS)
        return cls(listen, speak, manage, streams)

    def cap(self, endpoint: str) -> int:
        """The cap of one endpoint."""
        value: int = getattr(self, endpoint)
        return value

    def as_report(self) -> dict[str, int]:
        """The caps as the report's config block holds them."""
        return {name: self.cap(name) for name in ENDPOINTS}


def endpoint_of(path: str) -> str:
    """Which cap a REST path falls under: /v1/listen, /v1/speak (or /v2/...), else manage."""
    parts = path.split("?", 1)[0].strip("/").split("/")
    return parts[1] if len(parts) == 2 and parts[1] in {"listen", "speak"} else "manage"


def retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds a Retry-After header asks for (delta-seconds or an HTTP-date); None if absent or
    unreadable."""
    if value is None:
        return None
    text = value.strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def refusal_wait(status: int, headers: Mapping[str, str], refusals: int) -> float | None:
    """How long to wait before asking again after an answer, or None when it is no rate-limit
    refusal: a 429, or a 503 that says when to come back. The server's Retry-After is honoured up
    to a cap; without it, exponential back-off (0.5 s doubling, at most 8 s)."""
    asked = retry_after(headers.get("retry-after"))
    if status != 429 and not (status == 503 and asked is not None):
        return None
    if asked is not None:
        return min(asked, RETRY_AFTER_MOST)
    return float(min(BACKOFF_FIRST * 2**refusals, BACKOFF_MOST))


class Gate:
    """The run's caps in force: one semaphore per endpoint, the pace of starts (--rate-limit),
    the tally of the refusals met, what the run has spent, how long one exchange may keep being
    refused before the suite gives up on it, and the network options streams share with the
    REST client."""

    def __init__(
        self,
        concurrency: Concurrency,
        budget: float,
        cost: RunCost,
        network: Network | None = None,
        rate: float | None = None,
    ) -> None:
        self.budget = budget
        self.slots = {name: asyncio.Semaphore(concurrency.cap(name)) for name in ENDPOINTS}
        self.pacer = Pacer(rate)
        self.network = network or Network()
        self.rate_limited = RateLimitTally()
        self.cost = cost


current_gate: ContextVar[Gate | None] = ContextVar("current_gate", default=None)
"""The gate of the run whose cases run in this context: its streams are opened without the REST
client, yet share its caps and its tally."""


def gave_up(refusals: int, status: int, spent: float) -> str:
    """The line that ends an exchange the target kept refusing: a timeout, not a verdict."""
    what = "rate limited (429)" if status == 429 else "unavailable (503 with Retry-After)"
    return f"{what} {refusals} times; gave up after {spent:.1f} s of back-off"
