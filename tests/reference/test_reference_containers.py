"""The reference server decodes the common compressed containers (issue 22 item 3, issue 18's
mock point 5): MP3, FLAC and Ogg bodies are transcribed with the clip's duration and the bytes'
sha256; the wav-only fault refuses them; undecodable bytes stay a 400."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

import httpx
import pytest

from conformance.reference import Settings, create_app
from conformance.reference.serving import running
from conformance.wire import audio
from conformance.wire.containers import CONTAINERS, Container, encoded

AUTH = {"Authorization": "Token dev-api-key"}


@pytest.fixture(scope="module")
def urls() -> Iterator[dict[str, str]]:
    with (
        running(create_app(Settings())) as plain,
        running(create_app(Settings(faults=frozenset({"wav-only"})))) as wav_only,
    ):
        yield {"plain": plain, "wav-only": wav_only}


def _post(url: str, body: bytes, content_type: str) -> httpx.Response:
    headers = {**AUTH, "Content-Type": content_type}
    return httpx.post(f"{url}/v1/listen", content=body, headers=headers, timeout=30)


@pytest.mark.parametrize("container", CONTAINERS, ids=lambda c: c.name)
def test_each_container_is_transcribed(urls: dict[str, str], container: Container) -> None:
    clip = audio.mono()
    body = encoded(clip, container)
    answer = _post(urls["plain"], body, container.content_type)
    assert answer.status_code == 200, answer.text
    metadata = answer.json()["metadata"]
    assert metadata["sha256"] == hashlib.sha256(body).hexdigest()
    assert abs(metadata["duration"] - clip.duration) <= 0.05
    assert metadata["channels"] == 1
    words = answer.json()["results"]["channels"][0]["alternatives"][0]["words"]
    assert words, "the decoded speech-like bursts are heard as words"


def test_stereo_flac_keeps_its_channels(urls: dict[str, str]) -> None:
    flac = next(c for c in CONTAINERS if c.name == "flac")
    answer = _post(urls["plain"], encoded(audio.stereo(), flac), flac.content_type)
    assert answer.status_code == 200 and answer.json()["metadata"]["channels"] == 2


def test_wav_only_refuses_every_container_and_keeps_wav(urls: dict[str, str]) -> None:
    for container in CONTAINERS:
        body = encoded(audio.mono(), container)
        assert _post(urls["wav-only"], body, container.content_type).status_code == 400
    assert _post(urls["wav-only"], audio.mono().wav, "audio/wav").status_code == 200


def test_bytes_no_decoder_reads_stay_a_400(urls: dict[str, str]) -> None:
    answer = _post(urls["plain"], b"\x00\x01not audio at all" * 64, "audio/mpeg")
    assert answer.status_code == 400
