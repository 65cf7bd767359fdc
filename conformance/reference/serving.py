"""Running the app under uvicorn on a socket we bound ourselves, in the foreground or a thread."""

from __future__ import annotations

import contextlib
import signal
import socket
import threading
from collections.abc import Callable, Generator, Iterator

import uvicorn
from starlette.types import ASGIApp

SHUTDOWN_GRACE = 2
"""Seconds in-flight requests get to finish after a stop request."""
KEEP_ALIVE = 30
"""Seconds an idle client connection stays open: well past the 5 s clients' pools commonly keep
one, so a client reusing a connection never races the server closing it."""
STARTUP_DEADLINE = 10.0
"""Seconds a background server may take to start before running() gives up."""


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on host:port, so the real port is known (and queued) before serving."""
    family, kind, proto, _, address = socket.getaddrinfo(
        host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
    )[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen()
    except OSError:
        sock.close()
        raise
    return sock


def base_url(scheme: str, host: str, port: int) -> str:
    """scheme://host:port, bracketing IPv6 literals."""
    return f"{scheme}://[{host}]:{port}" if ":" in host else f"{scheme}://{host}:{port}"


def config(app: ASGIApp) -> uvicorn.Config:
    """uvicorn configured quietly: no access log, prompt shutdown."""
    return uvicorn.Config(
        app,
        log_level="warning",
        access_log=False,
        timeout_graceful_shutdown=SHUTDOWN_GRACE,
        timeout_keep_alive=KEEP_ALIVE,
    )


class Server(uvicorn.Server):
    """uvicorn, announcing readiness once listening and exiting normally on SIGINT/SIGTERM."""

    def __init__(self, config: uvicorn.Config, on_ready: Callable[[], None]) -> None:
        super().__init__(config)
        self._on_ready = on_ready

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        """Start serving, then announce (only once the sockets really accept connections)."""
        await super().startup(sockets)
        if self.started:
            self._on_ready()

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        """Turn SIGINT/SIGTERM into a graceful stop without re-raising them afterwards."""
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        handled = (signal.SIGINT, signal.SIGTERM)
        previous = {sig: signal.signal(sig, self.handle_exit) for sig in handled}
        try:
            yield
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)


@contextlib.contextmanager
def running(app: ASGIApp, host: str = "127.0.0.1") -> Iterator[str]:
    """Serve app on a free port in a background thread; yields the base URL, stops on exit."""
    ready = threading.Event()
    with bind(host, 0) as sock:
        server = Server(config(app), ready.set)
        thread = threading.Thread(
            target=server.run, kwargs={"sockets": [sock]}, name="reference-server", daemon=True
        )
        thread.start()
        try:
            if not ready.wait(STARTUP_DEADLINE):
                raise RuntimeError("the reference server did not start")
            yield base_url("http", host, int(sock.getsockname()[1]))
        finally:
            server.should_exit = True
            thread.join(STARTUP_DEADLINE)
