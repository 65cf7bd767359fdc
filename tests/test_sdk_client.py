"""The official Deepgram Python SDK drives the reference server: it is usable as a mock by
client teams. Responses are validated strictly against the SDK's own pydantic models."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from test_cli import reference

from conformance.wire import audio

deepgram = pytest.importorskip("deepgram", reason="deepgram-sdk is not installed (the test extra)")
from deepgram import DeepgramClient  # noqa: E402
from deepgram.environment import DeepgramClientEnvironment  # noqa: E402
from deepgram.types.listen_v1response import ListenV1Response  # noqa: E402

KEY = "sdk-test-key"


def _client(url: str) -> Any:
    environment = DeepgramClientEnvironment(
        base=url, production=url.replace("http", "ws", 1), agent=url, agent_rest=url
    )
    return DeepgramClient(api_key=KEY, environment=environment)


def _strict(response: Any) -> ListenV1Response:
    """Validate what the SDK received against its own model, strictly (pydantic)."""
    return ListenV1Response.model_validate(response.model_dump(by_alias=True))


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

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/mono.wav"
    finally:
        server.shutdown()
        thread.join(5)


def test_sdk_transcribes_a_file() -> None:
    with reference(api_key=KEY) as url:
        response = _client(url).listen.v1.media.transcribe_file(
            request=audio.mono().wav, punctuate=True, diarize=True, utterances=True
        )
    parsed = _strict(response)
    assert parsed.metadata.duration == pytest.approx(audio.mono().duration, abs=0.05)
    assert parsed.results.channels[0].alternatives[0].words
    assert parsed.results.utterances


def test_sdk_transcribes_a_url() -> None:
    with audio_server() as clip_url, reference(api_key=KEY) as url:
        response = _client(url).listen.v1.media.transcribe_url(url=clip_url)
    assert _strict(response).metadata.channels == 1


def test_sdk_sees_a_wrong_key_as_an_error() -> None:
    with reference(api_key=KEY) as url:
        client = DeepgramClient(
            api_key="not-the-key",
            environment=DeepgramClientEnvironment(
                base=url, production=url, agent=url, agent_rest=url
            ),
        )
        with pytest.raises(Exception) as raised:
            client.listen.v1.media.transcribe_file(request=audio.mono().wav)
    assert "401" in str(raised.value)
