"""The official Deepgram Python SDK drives the reference server: it is usable as a mock by
client teams. Responses are validated strictly against the SDK's own pydantic models."""

from __future__ import annotations

import io
import wave
from collections.abc import Iterator

import pytest
from runner import served
from sdk_support import (
    KEY,
    TIMING,
    audio_server,
    callback_receiver,
    client,
    environment,
    strict,
)

from conformance.wire import audio

deepgram = pytest.importorskip("deepgram", reason="deepgram-sdk is not installed (the test extra)")
from deepgram import DeepgramClient  # noqa: E402
from deepgram.types.listen_v1accepted_response import ListenV1AcceptedResponse  # noqa: E402
from deepgram.types.listen_v1response import ListenV1Response  # noqa: E402


@pytest.fixture(scope="module")
def url() -> Iterator[str]:
    """One reference server, in this process, for every SDK call of the module."""
    with served(api_key=KEY) as base:
        yield base


def test_sdk_transcribes_a_file(url: str) -> None:
    response = client(url).listen.v1.media.transcribe_file(
        request=audio.mono().wav, punctuate=True, diarize=True, utterances=True
    )
    parsed = strict(ListenV1Response, response)
    assert parsed.metadata.duration == pytest.approx(audio.mono().duration, abs=0.05)
    alternatives = parsed.results.channels[0].alternatives
    assert alternatives and alternatives[0].words
    assert parsed.results.utterances


def test_sdk_transcribes_a_url(url: str) -> None:
    with audio_server() as clip_url:
        response = client(url).listen.v1.media.transcribe_url(url=clip_url)
    assert strict(ListenV1Response, response).metadata.channels == 1


def test_sdk_callback_request_is_accepted_then_delivered(url: str) -> None:
    with callback_receiver() as (callback_url, deliveries):
        response = client(url).listen.v1.media.transcribe_file(
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
    chunks = client(url).speak.v1.audio.generate(
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
