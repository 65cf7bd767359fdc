"""The official Python SDK asks the reference server for speech in every output format, voice
and speed of issue 15 and gets audio of the format asked: the server is a usable speak mock."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from runner import served
from sdk_support import KEY, client

deepgram = pytest.importorskip("deepgram", reason="deepgram-sdk is not installed (the test extra)")

FORMATS: list[tuple[dict[str, Any], bytes]] = [
    ({"encoding": "linear16", "container": "wav", "sample_rate": 16000}, b"RIFF"),
    ({"encoding": "mulaw", "container": "wav", "sample_rate": 8000}, b"RIFF"),
    ({"encoding": "alaw", "container": "wav", "sample_rate": 16000}, b"RIFF"),
    ({"encoding": "mp3", "bit_rate": 32000}, b"\xff"),
    ({"encoding": "opus", "container": "ogg"}, b"OggS"),
    ({"encoding": "flac"}, b"fLaC"),
    ({"encoding": "aac"}, b"\xff"),
]
"""SDK options -> how the audio begins."""


@pytest.fixture(scope="module")
def url() -> Iterator[str]:
    """One reference server, in this process, for every SDK call of the module."""
    with served(api_key=KEY) as base:
        yield base


@pytest.mark.parametrize(("options", "begins"), FORMATS, ids=lambda v: str(v)[:40])
def test_sdk_gets_each_format(url: str, options: dict[str, Any], begins: bytes) -> None:
    chunks = client(url).speak.v1.audio.generate(
        text="Hello, world.", model="aura-2-thalia-en", speed=1.2, **options
    )
    assert b"".join(chunks).startswith(begins)


def test_sdk_reads_the_speak_headers(url: str) -> None:
    raw = client(url).speak.v1.audio.with_raw_response.generate(
        text="Hello, world.", model="aura-2-thalia-en"
    )
    with raw as response:
        headers = response.headers
        assert headers["dg-model-name"] == "aura-2-thalia-en"
        assert headers["dg-char-count"] == "13"
        assert headers["dg-request-id"] and headers["dg-model-uuid"]
        assert headers["content-type"] == "audio/wav"
