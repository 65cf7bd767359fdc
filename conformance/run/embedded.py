"""The embedded reference server: a subprocess on a free loopback port, met over the network."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import secrets
import sys
import tempfile
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, replace

from conformance.errors import HarnessError
from conformance.timing import EMBEDDED_CALLBACK_TIMEOUT, EMBEDDED_STREAM_IDLE_TIMEOUT
from conformance.wire import tls
from conformance.wire.tls import CA_FILE_ENV


@dataclass(frozen=True)
class EmbeddedServer:
    """Where the started reference server listens and the credentials it accepts."""

    url: str
    api_key: str
    api_key_id: str
    project_id: str

    def under(self, kind: str, names: Sequence[str]) -> EmbeddedServer:
        """The server a tenants process serves with these faults or variants on (kind "fault"
        or "variant"); no names: this one."""
        if not names:
            return self
        return replace(self, url=f"{self.url}/{kind}/{'+'.join(sorted(names))}")


@contextlib.asynccontextmanager
async def embedded_server(
    retry_delay: float,
    retry_count: int,
    start_deadline: float,
    stop_deadline: float,
    faults: tuple[str, ...] = (),
    stream_idle_timeout: float = EMBEDDED_STREAM_IDLE_TIMEOUT,
    tenants: bool = False,
) -> AsyncIterator[EmbeddedServer]:
    """Start `python -m conformance.reference` with a fresh key; stop it when the block ends.
    With `tenants`, it also serves /fault/NAMES/ and /variant/NAMES/ (see EmbeddedServer.under)."""
    api_key = "embedded-" + secrets.token_hex(16)
    command = [
        sys.executable,
        "-m",
        "conformance.reference",
        "--host",
        "127.0.0.1",
        "--port",
        "0",
        "--ready-json",
        "--allow-private-urls",
        "--allow-private-callbacks",
        "--callback-timeout",
        str(EMBEDDED_CALLBACK_TIMEOUT),
        "--retry-delay",
        str(retry_delay),
        "--retry-count",
        str(retry_count),
        "--stream-idle-timeout",
        str(stream_idle_timeout),
    ]
    for fault in faults:
        command += ["--fault", fault]
    if tenants:
        command.append("--tenants")
    errors = tempfile.TemporaryFile()  # a file, not a pipe: a chatty server can never block
    process = await asyncio.create_subprocess_exec(
        *command,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=errors,
        env={**os.environ, "CONFORMANCE_REFERENCE_API_KEY": api_key, CA_FILE_ENV: tls.ca_file()},
    )
    assert process.stdout is not None
    try:
        try:
            line = await asyncio.wait_for(process.stdout.readline(), start_deadline)
        except TimeoutError:
            raise HarnessError(
                f"the embedded reference server did not start within {start_deadline:g} s"
            ) from None
        if not line:
            await asyncio.wait_for(process.wait(), stop_deadline)
            errors.seek(0)
            stderr = errors.read().decode(errors="replace").strip().splitlines()
            raise HarnessError(
                "the embedded reference server did not start: "
                + (stderr[-1] if stderr else f"exit code {await process.wait()}")
            )
        ready = json.loads(line)
        yield EmbeddedServer(ready["url"], api_key, ready["api_key_id"], ready["project_id"])
    finally:
        if process.returncode is None:
            process.terminate()
            try:
                await asyncio.wait_for(process.wait(), stop_deadline)
            except TimeoutError:
                process.kill()
                await process.wait()
        errors.close()
