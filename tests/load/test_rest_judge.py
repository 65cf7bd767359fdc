"""The sans-I/O pre-recorded request judge: an answer and its deliveries in, verdicts by
requirement ID out (one real transcription of the reference, then bent)."""

from __future__ import annotations

import json

import httpx
from runner import served

from conformance.load import rest
from conformance.wire import audio

CLIP = audio.phrase()
SENT = rest.sent_of(CLIP.wav, CLIP.duration, CLIP.channels, 0.05)
URL = "http://target/v1/listen"


def _transcription() -> httpx.Response:
    """One real answer of the reference server."""
    with served() as url:
        return httpx.post(
            f"{url}/v1/listen", content=CLIP.wav,
            headers={"Authorization": "Token cli-test-key", "Content-Type": "audio/wav"},
        )  # fmt: skip


def _judged(headers: dict[str, str], body: bytes, sent: rest.Sent = SENT) -> rest.RequestVerdict:
    verdict = rest.RequestVerdict(0.0)
    rest.answered(verdict, URL, 200, headers, body, sent)
    return verdict


def _accepted(request_id: str = "r-1") -> rest.RequestVerdict:
    verdict = rest.RequestVerdict(100.0, "t1")
    body = json.dumps({"request_id": request_id}).encode()
    headers = {"content-type": "application/json"}
    rest.answered(verdict, f"{URL}?callback=x", 200, headers, body, SENT)
    return verdict


def test_answers_are_judged_by_the_listen_rules() -> None:
    answer = _transcription()
    headers, body = dict(answer.headers), answer.content
    good = _judged(headers, body)
    assert good.failed == {}
    assert set(good.judged) == {rest.SCHEMA, rest.SHA256, rest.DURATION, rest.CHANNELS,
                                rest.HEADER}  # fmt: skip
    assert set(_judged({**headers, "dg-request-id": "other"}, body).failed) == {rest.HEADER}
    other = rest.sent_of(b"other audio", CLIP.duration + 1, 2, 0.05)
    assert set(_judged(headers, body, other).failed) == {rest.SHA256, rest.DURATION, rest.CHANNELS}
    broken = _judged(headers, b'{"metadata": {}}')
    assert list(broken.failed) == [rest.SCHEMA] and "INVALID" in broken.failed[rest.SCHEMA]


def test_callbacks_are_judged_by_their_deliveries() -> None:
    body = _transcription().content
    document = json.loads(body)
    document["metadata"]["request_id"] = "r-1"
    good = rest.Arrival("load=t1", "application/json", json.dumps(document).encode(), 100.5)
    verdict = _accepted()
    assert verdict.judged == [rest.ACCEPTED] and verdict.request_id == "r-1"
    rest.delivered(verdict, [good], 60.0)
    assert verdict.failed == {} and verdict.delivered_after == 0.5
    assert rest.tag_of(good) == "t1"
    missing = _accepted()
    rest.delivered(missing, [], 60.0)
    assert "no delivery" in missing.failed[rest.DELIVERY]
    twice = _accepted()
    rest.delivered(twice, [good, good], 60.0)
    assert "2 deliveries arrived, not one" in twice.failed[rest.DELIVERY]
    late = _accepted()
    rest.delivered(late, [rest.Arrival("load=t1", "application/json", good.body, 170.0)], 60.0)
    assert "deadline 60 s" in late.failed[rest.DELIVERY]
    stranger = _accepted("r-2")
    rest.delivered(stranger, [good], 60.0)
    assert list(stranger.failed) == [rest.REQUEST_ID]
