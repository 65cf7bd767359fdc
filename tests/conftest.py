"""Shared fixtures: where ../shared is, and running the suite against the reference server."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import pytest

from conformance import loop
from conformance.config import AuthScheme, Credentials, RunConfig
from conformance.embedded import embedded_server
from conformance.engine import Engine
from conformance.events import Event, RunFinished
from conformance.timing import (
    EMBEDDED_PACE,
    EMBEDDED_RETRY_DELAY,
    EMBEDDED_STREAM_IDLE_TIMEOUT,
    TEARDOWN,
    Timing,
)

REPO = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("CONFORMANCE_SHARED", REPO.parent / "shared"))


@pytest.fixture
def shared() -> Path:
    """../shared (contract documents, genuine recordings); skipped where the machine lacks it."""
    if not (SHARED / "contract-docs").is_dir():
        pytest.skip(
            f"{SHARED} is not here: the contract documents and genuine recordings live "
            "beside the checkout in CI (set CONFORMANCE_SHARED to point elsewhere)"
        )
    return SHARED


class Collector:
    """A handler that keeps every event, for tests to inspect."""

    def __init__(self) -> None:
        self.events: list[Event] = []

    def handle(self, event: Event) -> None:
        self.events.append(event)


async def run_against_reference(
    faults: Sequence[str] = (),
    scheme: AuthScheme = AuthScheme.TOKEN,
    key_id_known: bool = True,
    **overrides: object,
) -> RunFinished:
    """Start the reference server with these faults and run the whole suite against it (told
    the key's identifier, as --api-key-id does, unless `key_id_known` is False)."""
    timing = Timing()
    async with embedded_server(
        EMBEDDED_RETRY_DELAY, 10, timing.server_start, timing.shutdown, faults=tuple(faults)
    ) as server:
        config = RunConfig(
            target=server.url,
            credentials=Credentials(
                server.api_key, scheme, server.api_key_id if key_id_known else None
            ),
            project_id=server.project_id,
            embedded=True,
            retry_delay=EMBEDDED_RETRY_DELAY,
            stream_idle_timeout=EMBEDDED_STREAM_IDLE_TIMEOUT,
            pace=EMBEDDED_PACE,
            **overrides,  # type: ignore[arg-type]
        )
        return await Engine(config, [Collector()]).run()


def reference_run(
    faults: Sequence[str] = (),
    scheme: AuthScheme = AuthScheme.TOKEN,
    key_id_known: bool = True,
    **overrides: object,
) -> RunFinished:
    """Synchronous wrapper for tests."""
    return loop.run(run_against_reference(faults, scheme, key_id_known, **overrides), TEARDOWN)
