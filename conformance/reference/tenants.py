"""Many reference servers in one process: faults or variants switched on per path prefix.

`/fault/NAME[+NAME...]/...` and `/variant/NAME[+NAME...]/...` each reach a server of their own
(own keys, tokens and request log) with exactly those switches on; every other path reaches the
server as started. A fault matrix then shares one process instead of starting one per row, and
a client's own tests can meet a broken server by changing only the base URL.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import replace

from starlette.applications import Starlette
from starlette.routing import Mount
from starlette.types import ASGIApp, Receive, Scope, Send
from websockets.frames import CloseCode

from .app import create_app
from .model.errors import ApiError, error_response
from .model.faults import unknown_faults
from .model.settings import Settings
from .model.variants import unknown_variants

SEPARATOR = "+"
"""Joins several switch names in one prefix: /fault/a+b/v1/listen."""


class _Switched:
    """The servers of one kind of switch, built on first use, one per set of names."""

    def __init__(
        self,
        kind: str,
        base: Settings,
        clock: Callable[[], float],
        unknown: Callable[[Iterable[str]], list[str]],
        switched: Callable[[frozenset[str]], Settings],
    ) -> None:
        self._kind, self._base, self._clock = kind, base, clock
        self._unknown, self._switched = unknown, switched
        self._apps: dict[frozenset[str], ASGIApp] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Hand the request to the server of the names in the prefix, or answer 404."""
        names = frozenset(str(scope["path_params"]["names"]).split(SEPARATOR))
        bad = self._unknown(sorted(names))
        if bad:
            if scope["type"] == "http":
                missing = ApiError(404, f"unknown {self._kind} {bad[0]!r}")
                await error_response(missing, self._base)(scope, receive, send)
            else:
                await send({"type": "websocket.close", "code": CloseCode.POLICY_VIOLATION})
            return
        if names not in self._apps:
            self._apps[names] = create_app(self._switched(names), clock=self._clock)
        await self._apps[names](scope, receive, send)


def create_tenants(settings: Settings, *, clock: Callable[[], float] = time.time) -> Starlette:
    """The plain server at /, a faulted one under /fault/NAMES, a variant under /variant/NAMES."""
    faulted = _Switched(
        "fault", settings, clock, unknown_faults, lambda on: replace(settings, faults=on)
    )
    varied = _Switched(
        "variant", settings, clock, unknown_variants, lambda on: replace(settings, variants=on)
    )
    return Starlette(
        routes=[
            Mount("/fault/{names}", app=faulted),
            Mount("/variant/{names}", app=varied),
            Mount("", app=create_app(settings, clock=clock)),
        ]
    )
