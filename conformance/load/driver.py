"""The command's side of a load run (asyncio, never gevent): the embedded reference server when
there is no target, the Locust master as a child process under the run's deadline, and what it
reports back."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import socket
import sys
import tempfile
from collections.abc import AsyncIterator, Sequence
from dataclasses import replace
from typing import Any
from urllib.parse import urlsplit

from conformance.errors import HarnessError, TargetUnreachable
from conformance.load.plan import BOOT, LoadPlan
from conformance.run.config import derive_ws_url
from conformance.run.embedded import embedded_server
from conformance.timing import EMBEDDED_RETRY_DELAY, Timing


@contextlib.asynccontextmanager
async def target_of(
    plan: LoadPlan, target: str | None, faults: Sequence[str], timing: Timing
) -> AsyncIterator[LoadPlan]:
    """The plan aimed at the target, or at a reference server started (with `faults`) for the
    block, as `conformance run` starts it."""
    if target is not None:
        yield replace(plan, ws_target=derive_ws_url(target), http_target=http_of(target))
        return
    async with embedded_server(
        EMBEDDED_RETRY_DELAY, 10, timing.server_start, timing.shutdown, faults=tuple(faults)
    ) as server:
        yield replace(
            plan,
            ws_target=derive_ws_url(server.url),
            http_target=http_of(server.url),
            api_key=server.api_key,
        )


def http_of(target: str) -> str:
    """The target's http(s) base, whether given as http(s) or as ws(s)."""
    for ws, http in (("wss://", "https://"), ("ws://", "http://")):
        if target.startswith(ws):
            return http + target.removeprefix(ws).rstrip("/")
    return target.rstrip("/")


def reachable(plan: LoadPlan) -> None:
    """One TCP connection to the target first, so an address nobody answers is said at once."""
    parts = urlsplit(plan.ws_target)
    port = parts.port or (443 if parts.scheme == "wss" else 80)
    try:
        with socket.create_connection((parts.hostname or "", port), timeout=plan.connect):
            return
    except OSError as error:
        raise TargetUnreachable(f"{parts.hostname}:{port}: {error}") from None


def free_port() -> int:
    """A loopback port nobody listens on now, for the master and its local workers."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


async def swarm(plan: LoadPlan) -> dict[str, Any]:
    """Run the Locust master (and through it the workers) on the plan; its JSON result."""
    with tempfile.TemporaryFile() as errors:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-c", BOOT, "master",
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=errors,
            env={**os.environ, "PYTHONWARNINGS": "ignore"},
        )  # fmt: skip
        try:
            out, _ = await asyncio.wait_for(
                process.communicate(plan.to_json().encode()), plan.run_deadline + 30
            )
        except TimeoutError:
            raise HarnessError(
                f"the load run did not end within {plan.run_deadline + 30:g} s"
            ) from None
        finally:
            if process.returncode is None:
                process.kill()
                await process.wait()
        if process.returncode != 0:
            errors.seek(0)
            said = errors.read().decode(errors="replace").strip().splitlines()
            why = said[-1] if said else f"exit code {process.returncode}"
            why = why.replace(plan.api_key, "[REDACTED]") if plan.api_key else why
            raise HarnessError(f"the load run failed: {why.removeprefix('load: ')}")
    result: dict[str, Any] = json.loads(out)
    return result
