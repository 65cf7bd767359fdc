"""The suite's own HTTP server: serves test audio to targets (and later receives callbacks)."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from dataclasses import dataclass
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ..errors import HarnessError, UsageError
from . import audio

PREFERRED_PORT = 8080
"""A port the documents allow for callbacks, so one receiver serves audio and callbacks."""


@dataclass(frozen=True)
class Fetch:
    """A request the target made to the receiver."""

    method: str
    path: str
    user_agent: str


def _bind(host: str) -> socket.socket:
    """Bind 8080 on the host; if taken on loopback, 8080 on the next loopback address."""
    candidates = [host]
    if host == "127.0.0.1":
        candidates += [f"127.0.0.{n}" for n in range(2, 255)]
    last_error: OSError | None = None
    for address in candidates:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            sock.bind((address, PREFERRED_PORT))
        except OSError as exc:
            sock.close()
            last_error = exc
            continue
        sock.listen(128)
        sock.setblocking(False)
        return sock
    raise UsageError(
        f"--callback-host {host}: cannot listen on port {PREFERRED_PORT}: {last_error}"
    )


class Receiver:
    """A Starlette app served by uvicorn inside the run's event loop."""

    def __init__(
        self,
        host: str,
        public_url: str | None,
        startup_deadline: float,
        shutdown_deadline: float,
        *,
        reachable_from_target: bool,
    ) -> None:
        self._host = host
        self.reachable_from_target = reachable_from_target
        """Whether the target can open the URLs this receiver hands out."""
        self._public_url = public_url.rstrip("/") if public_url else None
        self._startup_deadline = startup_deadline
        self._shutdown_deadline = shutdown_deadline
        self._started = asyncio.Event()
        self._server: uvicorn.Server | None = None
        self._task: asyncio.Task[None] | None = None
        self.fetches: list[Fetch] = []
        self.local_url = ""

    @property
    def base_url(self) -> str:
        """The URL targets use to reach the receiver."""
        return self._public_url or self.local_url

    def audio_url(self, clip: str) -> str:
        """Where the target can fetch a test clip."""
        return f"{self.base_url}/audio/{clip}.wav"

    async def _serve_audio(self, request: Request) -> Response:
        """GET /audio/NAME.wav: one of the generated clips."""
        name = request.path_params["name"]
        self.fetches.append(
            Fetch(request.method, request.url.path, request.headers.get("user-agent", ""))
        )
        clip = audio.CLIPS.get(name)
        if clip is None:
            return Response("no such clip", status_code=404, media_type="text/plain")
        return Response(clip().wav, media_type="audio/wav")

    @contextlib.asynccontextmanager
    async def _lifespan(self, app: Starlette) -> Any:
        """Tell start() the server is accepting requests."""
        self._started.set()
        yield

    async def start(self) -> None:
        """Bind, start serving, and wait (with a deadline) until the app is up."""
        sock = _bind(self._host)
        host, port = sock.getsockname()[:2]
        self.local_url = f"http://{host}:{port}"
        app = Starlette(
            routes=[Route("/audio/{name}.wav", self._serve_audio, methods=["GET"])],
            lifespan=self._lifespan,
        )
        config = uvicorn.Config(app, log_level="error", access_log=False, lifespan="on")
        self._server = uvicorn.Server(config)
        self._task = asyncio.create_task(self._server.serve(sockets=[sock]))
        try:
            await asyncio.wait_for(self._started.wait(), self._startup_deadline)
        except TimeoutError:
            raise HarnessError(
                f"the receiver did not start within {self._startup_deadline:g} s"
            ) from None

    async def stop(self) -> None:
        """Ask the server to exit and wait for it, with a deadline."""
        if self._server is None or self._task is None:
            return
        self._server.should_exit = True
        try:
            await asyncio.wait_for(self._task, self._shutdown_deadline)
        except TimeoutError:
            self._task.cancel()
