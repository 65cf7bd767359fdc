"""The official Deepgram Python SDK drives the reference server: it is usable as a mock by
client teams. Responses are validated strictly against the SDK's own pydantic models."""

from __future__ import annotations

import io
import queue
import threading
import wave
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, TypeVar

import pytest
from test_cli import served

from conformance.timing import Timing
from conformance.wire import audio

deepgram = pytest.importorskip("deepgram", reason="deepgram-sdk is not installed (the test extra)")
from deepgram import DeepgramClient  # noqa: E402
from deepgram.environment import DeepgramClientEnvironment  # noqa: E402
from deepgram.types.listen_v1accepted_response import ListenV1AcceptedResponse  # noqa: E402
from deepgram.types.listen_v1response import ListenV1Response  # noqa: E402
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


def _client(url: str) -> Any:
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


@pytest.fixture(scope="module")
def url() -> Iterator[str]:
    """One reference server, in this process, for every SDK call of the module."""
    with served(api_key=KEY) as base:
        yield base


def test_sdk_transcribes_a_file(url: str) -> None:
    response = _client(url).listen.v1.media.transcribe_file(
        request=audio.mono().wav, punctuate=True, diarize=True, utterances=True
    )
    parsed = strict(ListenV1Response, response)
    assert parsed.metadata.duration == pytest.approx(audio.mono().duration, abs=0.05)
    alternatives = parsed.results.channels[0].alternatives
    assert alternatives and alternatives[0].words
    assert parsed.results.utterances


def test_sdk_transcribes_a_url(url: str) -> None:
    with audio_server() as clip_url:
        response = _client(url).listen.v1.media.transcribe_url(url=clip_url)
    assert strict(ListenV1Response, response).metadata.channels == 1


def test_sdk_callback_request_is_accepted_then_delivered(url: str) -> None:
    with callback_receiver() as (callback_url, deliveries):
        response = _client(url).listen.v1.media.transcribe_file(
            request=audio.mono().wav, callback=callback_url
        )
        method, content_type, body = deliveries.get(timeout=TIMING.first_delivery())
    accepted = strict(ListenV1AcceptedResponse, response)
    assert (method, content_type) == ("POST", "application/json")
    delivered = ListenV1Response.model_validate_json(body)
    assert delivered.metadata.request_id == accepted.request_id, "not the accepted request's"
    assert delivered.metadata.duration == pytest.approx(audio.mono().duration, abs=0.05)
    alternatives = delivered.results.channels[0].alternatives
    assert alternatives and alternatives[0].words


def test_sdk_speaks_linear16_audio(url: str) -> None:
    chunks = _client(url).speak.v1.audio.generate(
        text="Hello, world.", encoding="linear16", container="wav"
    )
    spoken = b"".join(chunks)
    with wave.open(io.BytesIO(spoken)) as reader:
        assert (reader.getcomptype(), reader.getsampwidth()) == ("NONE", 2)  # PCM, 16 bits
        assert reader.getnframes() > 0


def test_sdk_sees_a_wrong_key_as_an_error(url: str) -> None:
    client = DeepgramClient(api_key="not-the-key", environment=environment(url))
    with pytest.raises(Exception) as raised:
        client.listen.v1.media.transcribe_file(request=audio.mono().wav)
    assert "401" in str(raised.value)
