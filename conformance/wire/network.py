"""How the run reaches the target beyond its URL: extra headers for gateways, a proxy, the TLS
verification of the target's certificate, and a cap on requests started per second."""

from __future__ import annotations

import asyncio
import re
import ssl
import time
from dataclasses import dataclass
from pathlib import Path

SECRET_HEADER = re.compile(r"auth|key|token|secret|password|cookie", re.IGNORECASE)
"""Header names whose values are credentials (Authorization, X-Api-Key, Cookie...): their
values are redacted in every output; any other header's value is shown as sent."""


@dataclass(frozen=True)
class Network:
    """The run's network options (--header, --proxy, --tls-verify, --cacert)."""

    headers: tuple[tuple[str, str], ...] = ()
    proxy: str | None = None
    verify: bool = True
    cacert: Path | None = None

    def secrets(self) -> list[str]:
        """The values of the Authorization-like extra headers, for the run's redactor."""
        return [value for name, value in self.headers if SECRET_HEADER.search(name)]

    def verification(self) -> ssl.SSLContext | bool:
        """What httpx's `verify` takes: False, True (the system's CAs) or a context that also
        trusts --cacert."""
        if not self.verify:
            return False
        if self.cacert is None:
            return True
        return self.ssl_context()

    def ssl_context(self) -> ssl.SSLContext:
        """The TLS context of wss:// upgrades: the system's CAs and --cacert, or none checked."""
        context = ssl.create_default_context()
        if not self.verify:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        elif self.cacert is not None:
            context.load_verify_locations(cafile=str(self.cacert))
        return context


class Pacer:
    """At most `rate` starts per second (--rate-limit): each start takes the next slot of an
    even schedule, waiting for it (a metered API never sees a burst above the rate)."""

    def __init__(self, rate: float | None) -> None:
        self.rate = rate
        self._next = 0.0
        self._lock = asyncio.Lock()

    async def turn(self) -> None:
        """Wait for this start's slot (at once without a rate)."""
        if self.rate is None:
            return
        async with self._lock:
            now = time.monotonic()
            slot = max(now, self._next)
            self._next = slot + 1.0 / self.rate
        if slot > now:
            await asyncio.sleep(slot - now)  # the pacing is the waiting itself
