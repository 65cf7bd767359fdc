"""The official Python SDK pointed at a reference server, and the little servers its tests need
(an audio file server, a callback receiver)."""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, TypeVar

import pytest

from conformance.timing import Timing
from conformance.wire import audio

deepgram = pytest.importorskip("deepgram", reason="deepgram-sdk is not installed (the test extra)")
from deepgram import DeepgramClient  # noqa: E402
from deepgram.environment import DeepgramClientEnvironment  # noqa: E402
from pydantic import BaseModel  # noqa: E402 (a dependency of the SDK)

KEY = "sdk-test-key"
TIMING = Timing()
CALLBACK_PORT = 8080
"""One of the four ports a callback URL may name (80, 443, 8080, 8443)."""

Model = TypeVar("Model", bound=BaseModel)
Delivery = tuple[str, str, bytes]
"""A callback attempt as the receiver saw it: method, content type, body."""


def environment(url: str) -> DeepgramClientEnvironment:
    """The SDK's environment setting, every base pointed at the reference server."""
    return DeepgramClientEnvironment(
        base=url, production=url.replace("http", "ws", 1), agent=url, agent_rest=url
    )


def client(url: str) -> Any:
    """The SDK's client, with the test key, at the reference server."""
    return DeepgramClient(api_key=KEY, environment=environment(url))


def strict(model: type[Model], response: Any) -> Model:
    """Validate strictly what the SDK parsed leniently (it falls back to unvalidated models)."""
    assert isinstance(response, model), f"the SDK gave {type(response).__name__}: {response!r}"
    return model.model_validate(response.model_dump(by_alias=True))


@contextmanager
def audio_server() -> Iterator[str]:
    """Serves the mono clip over plain HTTP for URL transcription."""
    clip = audio.mono().wav

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "audio/wav")
            self.send_header("Content-Length", str(len(clip)))
            self.end_headers()
            self.wfile.write(clip)

        def log_message(self, *args: object) -> None:
            pass

    with _serving(ThreadingHTTPServer(("127.0.0.1", 0), Handler)) as server:
        yield f"http://127.0.0.1:{server.server_address[1]}/mono.wav"


@contextmanager
def callback_receiver() -> Iterator[tuple[str, queue.Queue[Delivery]]]:
    """Records callback attempts, answering 200, on port 8080 of a loopback address left free."""
    deliveries: queue.Queue[Delivery] = queue.Queue()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            deliveries.put((self.command, self.headers.get_content_type(), body))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        do_PUT = do_POST

        def log_message(self, *args: object) -> None:
            pass

    for last in range(1, 255):
        try:
            server = ThreadingHTTPServer((f"127.0.9.{last}", CALLBACK_PORT), Handler)
        except OSError:
            continue
        with _serving(server):
            yield f"http://127.0.9.{last}:{CALLBACK_PORT}/sdk-callback", deliveries
        return
    pytest.fail(f"no loopback address 127.0.9.x has port {CALLBACK_PORT} free")


@contextmanager
def _serving(server: ThreadingHTTPServer) -> Iterator[ThreadingHTTPServer]:
    """Runs the server on a thread for the block, then stops it within a deadline."""
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(TIMING.shutdown)
