"""The one way to run the suite: the CLI, the pytest plugin and selftest all come through here,
with a RunConfig built once (RunConfig.resolve) and the handlers that make their reports."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Sequence

from conformance.run.config import RunConfig
from conformance.run.embedded import EmbeddedServer, embedded_server
from conformance.run.engine import Engine
from conformance.run.events import Handler, RunFinished


async def run(config: RunConfig, handlers: Sequence[Handler] = ()) -> RunFinished:
    """Run the suite against config.target, or, for a config without one (config.embedded),
    against a reference server started for this run and stopped after it."""
    if not config.embedded:
        return await Engine(config, handlers).run()
    async with reference_for(config) as server:
        return await run_against(config, server, handlers)


async def run_against(
    config: RunConfig, server: EmbeddedServer, handlers: Sequence[Handler] = ()
) -> RunFinished:
    """Run an embedded plan against a reference server already started (shared by a matrix)."""
    return await Engine(config.against(server), handlers).run()


@contextlib.asynccontextmanager
async def reference_for(
    config: RunConfig, faults: Sequence[str] = (), tenants: bool = False
) -> AsyncIterator[EmbeddedServer]:
    """A reference server started with the timings the plan declares (retry schedule, idle
    timeout), with `faults` on; with `tenants`, one that serves every fault and variant under
    its own prefix (EmbeddedServer.under)."""
    async with embedded_server(
        config.retry_delay,
        config.retry_count,
        config.timing.server_start,
        config.timing.shutdown,
        faults=tuple(faults),
        stream_idle_timeout=config.stream_idle_timeout,
        tenants=tenants,
    ) as server:
        yield server
