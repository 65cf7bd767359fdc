"""A case's callback path at the receiver: what to answer each attempt, and every attempt that
arrived there, as evidence."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Literal

from conformance.wire.http import Exchange, _summarise_body
from conformance.wire.redact import Redactor

PREFERRED_PORT = 8080
"""A port the documents allow for callbacks, so one receiver serves audio and callbacks."""
TLS_PORT = 8443
"""The port of the receiver's https and wss address (an allowed callback port)."""

HANG: Literal["hang"] = "hang"
"""Script step: never answer; hold the attempt open until the sender gives up."""
CLOSE: Literal["close"] = "close"
"""Script step: drop the connection once the request is in, before any byte of an answer."""
Answer = int | Literal["hang", "close"]
"""What the receiver does with one attempt: answer with a status, hang, or close."""


@dataclass(frozen=True)
class Fetch:
    """A request the target made to the receiver."""

    method: str
    path: str
    user_agent: str


@dataclass
class Delivery:
    """One callback attempt as it arrived, and how the receiver answered it."""

    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes
    arrived: float
    """time.monotonic() when the attempt arrived."""
    answer: Answer
    ended: asyncio.Event = field(default_factory=asyncio.Event, repr=False)
    """Set when the attempt is over (at once, or when the sender gives up on a hang)."""
    ended_at: float | None = None
    """time.monotonic() when the receiver answered, dropped, or stopped holding the attempt."""
    _evidence: Exchange | None = field(default=None, repr=False)

    @property
    def content_type(self) -> str:
        """The delivery's media type without parameters, lower case."""
        return self.headers.get("content-type", "").split(";")[0].strip().lower()

    def exchange(self, base_url: str, redactor: Redactor) -> Exchange:
        """The attempt as evidence, seen from the target's side: its request, our answer (one
        object, so each case that reads a shared mailbox keeps it once)."""
        if self._evidence is None:
            self._evidence = self._as_exchange(base_url, redactor)
        return self._evidence

    def _as_exchange(self, base_url: str, redactor: Redactor) -> Exchange:
        target = self.path + (f"?{self.query}" if self.query else "")
        answered = {HANG: "no answer (held open)", CLOSE: "connection dropped"}
        return Exchange(
            method=self.method,
            url=redactor.text(base_url + target),
            request_headers={k: redactor.header(k, v) for k, v in self.headers.items()},
            request_body=_summarise_body(self.body, self.content_type, redactor),
            status=self.answer if isinstance(self.answer, int) else None,
            error=answered.get(str(self.answer)),
            content=self.body,
        )


class Mailbox:
    """One case's callback path: what to answer, and every attempt that arrived there."""

    def __init__(self, url: str, path: str, script: Sequence[Answer]) -> None:
        self.url = url
        """The callback URL to hand to the target (with credentials, if any)."""
        self.path = path
        self._script = list(script)
        self.deliveries: list[Delivery] = []
        self.opened = time.monotonic()
        """When the case opened the mailbox, just before sending the request that names it."""
        self._arrived = asyncio.Condition()

    def next_answer(self) -> Answer:
        """The scripted answer for the next attempt; 200 once the script is used up."""
        return self._script.pop(0) if self._script else 200

    async def add(self, delivery: Delivery) -> None:
        """Record an attempt and wake whoever waits for it."""
        async with self._arrived:
            self.deliveries.append(delivery)
            self._arrived.notify_all()

    async def wait_for(self, count: int, deadline: float) -> bool:
        """Wait until `count` attempts arrived, at most `deadline` seconds; whether they did."""
        try:
            async with asyncio.timeout(deadline), self._arrived:
                await self._arrived.wait_for(lambda: len(self.deliveries) >= count)
        except TimeoutError:
            return False
        return True

    def spacings(self) -> list[float]:
        """Seconds from the end of each attempt (our answer) to the arrival of the next."""
        return [
            later.arrived - (earlier.ended_at or earlier.arrived)
            for earlier, later in pairwise(self.deliveries)
        ]
