"""The official Python SDK's typed models parse the reference server's answers to requests with
the formatting and audio intelligence parameters (issue 15): the server is a usable mock."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

import pytest
from runner import served
from sdk_support import KEY, client, strict

from conformance.wire import audio
from conformance.wire.codecs import stream_audio

deepgram = pytest.importorskip("deepgram", reason="deepgram-sdk is not installed (the test extra)")
from deepgram.types.listen_v1response import ListenV1Response  # noqa: E402


@pytest.fixture(scope="module")
def url() -> Iterator[str]:
    """One reference server, in this process, for every SDK call of the module."""
    with served(api_key=KEY) as base:
        yield base


def test_sdk_parses_formatting_and_intelligence(url: str) -> None:
    response = client(url).listen.v1.media.transcribe_file(
        request=audio.mono().wav,
        smart_format=True,
        paragraphs=True,
        summarize="v2",
        topics=True,
        custom_topic=["weather"],
        custom_topic_mode="strict",
        intents=True,
        custom_intent=["book a flight"],
        custom_intent_mode="extended",
        sentiment=True,
        detect_language=True,
        detect_entities=True,
        diarize=True,
    )
    parsed = strict(ListenV1Response, response)
    alternative = parsed.results.channels[0].alternatives[0]
    assert alternative.paragraphs and alternative.paragraphs.paragraphs
    assert alternative.entities is not None
    assert parsed.results.channels[0].detected_language
    assert parsed.results.summary and parsed.results.summary.short
    assert parsed.results.topics and parsed.results.topics.segments
    assert {t.topic for s in parsed.results.topics.segments for t in s.topics or []} <= {"weather"}
    assert parsed.results.intents and parsed.results.intents.segments
    assert parsed.results.sentiments and parsed.results.sentiments.average
    metadata = parsed.metadata
    assert metadata.summary_info and metadata.topics_info and metadata.intents_info
    assert metadata.sentiment_info and metadata.sentiment_info.model_uuid


def test_sdk_parses_the_speech_only_options(url: str) -> None:
    response = client(url).listen.v1.media.transcribe_file(
        request=audio.mono().wav,
        model="nova-3",
        keyterm=["conformance"],
        dictation=True,
        filler_words=True,
        measurements=True,
        numerals=True,
        profanity_filter=True,
        redact="pii",
        replace="hello:goodbye",
        diarize_model="latest",
        mip_opt_out=True,
        summarize=True,
    )
    alternative = strict(ListenV1Response, response).results.channels[0].alternatives[0]
    assert alternative.words and alternative.summaries is not None


def test_sdk_parses_code_switching(url: str) -> None:
    response = client(url).listen.v1.media.transcribe_file(
        request=audio.mono().wav, model="nova-3", language="multi"
    )
    alternative = strict(ListenV1Response, response).results.channels[0].alternatives[0]
    spoken = [word.language for word in alternative.words]
    assert spoken and all(spoken)
    assert alternative.languages and set(alternative.languages) == set(spoken)


def test_sdk_parses_raw_audio_read_as_asked(url: str) -> None:
    """Headerless linear16 at 8 kHz: the SDK sends application/octet-stream with encoding, and
    sample_rate (no argument of its own) rides in the request options; the duration shows the
    reference read it (at the 16 kHz default the clip would last half as long)."""
    raw = stream_audio("phrase", "linear16", 8_000)
    response = client(url).listen.v1.media.transcribe_file(
        request=raw.data,
        encoding="linear16",
        request_options={"additional_query_parameters": {"sample_rate": raw.sample_rate}},
    )
    metadata = strict(ListenV1Response, response).metadata
    assert metadata.sha256 == hashlib.sha256(raw.data).hexdigest()
    assert metadata.duration == pytest.approx(raw.duration, abs=0.05)


def test_sdk_parses_a_model_per_channel(url: str) -> None:
    response = client(url).listen.v1.media.transcribe_file(
        request=audio.stereo().wav, model="general:phonecall", multichannel=True
    )
    parsed = strict(ListenV1Response, response)
    assert len(parsed.results.channels) == 2
    assert len(set(parsed.metadata.models)) == 2
    assert set(parsed.metadata.models) <= set(parsed.metadata.model_info or {})
