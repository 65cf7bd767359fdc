"""How the receiver is served: its sockets (8080, 8443, a fallback loopback address), a quiet
uvicorn whose connections can be dropped mid-request, and a door that opens on cue."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import time
from typing import Any, Literal

import uvicorn
from starlette.types import ASGIApp, Receive, Scope, Send
from uvicorn.protocols.http.h11_impl import H11Protocol

from conformance.errors import UsageError
from conformance.wire.addresses import ipv4_loopback

PREFERRED_PORT = 8080
"""A port the documents allow for callbacks, so one receiver serves audio and callbacks."""
TLS_PORT = 8443
"""The port of the receiver's https and wss address (an allowed callback port)."""

_UNFINISHED = "ASGI callable returned without completing response."
DROP = "conformance.drop"
"""Scope key of a callable that aborts the request's connection (see _DroppingH11)."""


def _tcp(listen: bool) -> socket.socket:
    """A TCP socket; one that will listen may take an address a previous run's connections
    still linger on (TIME_WAIT), as any server's may, but never one another socket listens on.
    IPPROTO_TCP, not 0: asyncio sets TCP_NODELAY on accepted sockets only then, and without it
    every response stalls ~40 ms on Nagle's algorithm and delayed ACKs."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    if listen:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    return sock


def bind(host: str, *, listen: bool = True, exact: bool = False) -> socket.socket:
    """Bind 8080 on the host; if taken on loopback (and not `exact`), 8080 on the next loopback
    address. Without listen, the socket holds the address yet refuses connections until it
    listens (and is never given one a lingering connection holds: a door must be its own)."""
    candidates = [host]
    if ipv4_loopback(host) and not exact:
        candidates += [f"127.0.0.{n}" for n in range(2, 255) if f"127.0.0.{n}" != host]
    last_error: OSError | None = None
    for address in candidates:
        sock = _tcp(listen)
        try:
            sock.bind((address, PREFERRED_PORT))
        except OSError as exc:
            sock.close()
            last_error = exc
            continue
        if listen:
            sock.listen(128)
        sock.setblocking(False)
        return sock
    leads = ", where --callback-public-url leads" if exact else ""
    raise UsageError(
        f"--callback-host {host}: cannot listen on port {PREFERRED_PORT}{leads}: {last_error}"
    )


def bind_tls(address: str) -> socket.socket | None:
    """Port 8443 on the address the receiver got, or None when it is taken there."""
    sock = _tcp(listen=True)
    try:
        sock.bind((address, TLS_PORT))
    except OSError:
        sock.close()
        return None
    sock.listen(128)
    sock.setblocking(False)
    return sock


class _DroppingH11(H11Protocol):
    """uvicorn's HTTP/1.1 protocol, giving the app a way to drop a connection before any byte
    of an answer (an ASGI app alone can only start an answer)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        app = self.app

        async def with_drop(scope: Scope, receive: Receive, send: Send) -> None:
            scope[DROP] = self.transport.abort
            await app(scope, receive, send)

        self.app = with_drop


def server(
    app: ASGIApp, lifespan: Literal["on", "off"], tls: tuple[str, str] | None = None
) -> uvicorn.Server:
    """A quiet uvicorn server for the receiver's app, whose connections can be dropped; with
    `tls` (certificate chain and key files), it speaks https and wss."""
    config = uvicorn.Config(
        app,
        http=_DroppingH11,
        log_level="error",
        access_log=False,
        lifespan=lifespan,
        ssl_certfile=tls[0] if tls else None,
        ssl_keyfile=tls[1] if tls else None,
    )
    server = uvicorn.Server(config)
    # SIGINT/SIGTERM are loop.py's: they stop the run, which then deletes what it created
    server.capture_signals = contextlib.nullcontext  # type: ignore[method-assign,assignment]
    return server


CLOSE_GRACE = 0.5
"""Seconds the connections get to close once asked; then they are dropped."""


async def stop(server: uvicorn.Server, task: asyncio.Task[None], deadline: float) -> None:
    """Ask a server to exit and wait for it, cancelling it past the deadline. A connection still
    open CLOSE_GRACE after the ask is dropped: the run is over, and an idle TLS connection
    otherwise waits out its peer's close_notify, which a pooled client never sends (5 s of
    every other run went there)."""
    server.should_exit = True
    done, _ = await asyncio.wait({task}, timeout=CLOSE_GRACE)
    if not done:
        server.force_exit = True  # stop waiting for connections uvicorn asked to close
        for connection in list(server.server_state.connections):
            transport = getattr(connection, "transport", None)
            if transport is not None:
                transport.abort()
    try:
        await asyncio.wait_for(task, deadline)
    except TimeoutError:
        task.cancel()


class Door:
    """A second callback address that refuses connections until opened: a target's attempt
    there meets a refused connection, the next one is answered."""

    def __init__(self, sock: socket.socket, app: ASGIApp, shutdown_deadline: float) -> None:
        self._sock = sock
        self._app = app
        self._shutdown_deadline = shutdown_deadline
        self._server: uvicorn.Server | None = None
        self._task: asyncio.Task[None] | None = None
        self.opened_at: float | None = None
        """time.monotonic() when the address began to accept connections."""

    def open(self) -> None:
        """Accept connections from now on (the kernel queues them until the server serves)."""
        if self._server is not None:
            return
        self._sock.listen(128)
        self.opened_at = time.monotonic()
        self._server = server(self._app, "off")
        self._task = asyncio.create_task(self._server.serve(sockets=[self._sock]))

    async def close(self) -> None:
        """Stop serving (with a deadline), or release the address if it never opened."""
        if self._server is None or self._task is None:
            self._sock.close()
            return
        await stop(self._server, self._task, self._shutdown_deadline)


class QuietDrop(logging.Filter):
    """Keeps the receiver's deliberate dropped connections out of uvicorn's error log."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() != _UNFINISHED
