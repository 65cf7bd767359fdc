"""The reference server over real HTTP: auth, grant, /v1/listen fields, features and validation."""

from __future__ import annotations

import hashlib
import re
import threading
import time
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from itertools import pairwise
from statistics import fmean
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.routing import Mount

from conformance.reference import Settings, create_app
from conformance.reference.serving import running
from conformance.wire import audio

KEY = "dev-api-key"
AUTH = {"Authorization": f"Token {KEY}"}
MONO = audio.mono()
STEREO = audio.stereo()
UNDECODABLE = "Bad Request: failed to process audio: corrupt or unsupported data"
METADATA_KEYS = [
    "transaction_key", "request_id", "sha256", "created", "duration", "channels", "models",
    "model_info",
]  # fmt: skip
"""Key order of the recorded Deepgram responses."""

Json = dict[str, Any]


class _AudioHandler(BaseHTTPRequestHandler):
    """Serves the mono clip, a redirect to it, and 404 elsewhere."""

    def do_GET(self) -> None:
        if self.path == "/redirect":
            self.send_response(302)
            self.send_header("Location", "/mono.wav")
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif self.path == "/mono.wav":
            self.send_response(200)
            self.send_header("Content-Type", "audio/wav")
            self.send_header("Content-Length", str(len(MONO.wav)))
            self.end_headers()
            self.wfile.write(MONO.wav)
        else:
            self.send_error(404)

    def log_message(self, *_: Any) -> None:
        """Keep test output quiet."""


@pytest.fixture(scope="module")
def audio_host() -> Iterator[str]:
    """http://127.0.0.1:PORT of a loopback server holding the mono clip."""
    with ThreadingHTTPServer(("127.0.0.1", 0), _AudioHandler) as httpd:
        thread = threading.Thread(target=httpd.serve_forever, daemon=True)
        thread.start()
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
        httpd.shutdown()
        thread.join(5)


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    """A real server: /open allows private audio URLs, /closed (the default) refuses them."""
    apps = Starlette(
        routes=[
            Mount("/open", create_app(Settings(allow_private_urls=True))),
            Mount("/closed", create_app(Settings())),
        ]
    )
    with running(apps) as url:
        yield url


@pytest.fixture(scope="module")
def client(base_url: str) -> Iterator[httpx.Client]:
    """A client of the URL-allowing server."""
    with httpx.Client(base_url=f"{base_url}/open", timeout=10) as http:
        yield http


@pytest.fixture(scope="module")
def closed(base_url: str) -> Iterator[httpx.Client]:
    """A client of the server with default settings (no private URLs)."""
    with httpx.Client(base_url=f"{base_url}/closed", timeout=10) as http:
        yield http


def listen(
    client: httpx.Client,
    query: str = "",
    body: bytes = MONO.wav,
    content_type: str | None = "audio/wav",
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    """POST /v1/listen with the API key unless headers say otherwise."""
    sent = dict(AUTH if headers is None else headers)
    if content_type is not None:
        sent["Content-Type"] = content_type
    return client.post(f"/v1/listen?{query}", content=body, headers=sent)


def ok(client: httpx.Client, query: str = "", clip: audio.TestAudio = MONO) -> Json:
    """A successful transcription's body."""
    response = listen(client, query, clip.wav)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    body: Json = response.json()
    return body


def assert_error(response: httpx.Response, status: int, code: str = "Bad Request") -> Json:
    """The response is the documented JSON error object with this status."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    body: Json = response.json()
    assert list(body) == ["err_code", "err_msg", "request_id"]
    assert body["err_code"] == code and body["err_msg"]
    assert uuid.UUID(body["request_id"]).version == 4
    return body


def alternatives(body: Json, channel: int = 0) -> list[Json]:
    """The alternatives of one result channel."""
    found: list[Json] = body["results"]["channels"][channel]["alternatives"]
    return found


def words(body: Json, channel: int = 0, alternative: int = 0) -> list[Json]:
    """The words of one alternative."""
    found: list[Json] = alternatives(body, channel)[alternative]["words"]
    return found


# --- authentication -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("authorization", "status"),
    [
        (f"Token {KEY}", 200),
        (f"token {KEY}", 200),
        (f"Bearer {KEY}", 200),
        (f"BEARER {KEY}", 200),
        (None, 401),
        ("", 401),
        ("Token wrong", 401),
        ("Token", 401),
        (KEY, 401),
        ("Basic ZGV2LWFwaS1rZXk=", 401),
    ],
)
def test_auth_outcomes(client: httpx.Client, authorization: str | None, status: int) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}
    response = listen(client, headers=headers)
    if status == 401:
        body = assert_error(response, 401, "INVALID_AUTH")
        assert body["err_msg"] == "Invalid credentials."
    else:
        assert response.status_code == 200


def test_grant_issues_a_bearer_token(client: httpx.Client) -> None:
    response = client.post("/v1/auth/grant", headers=AUTH)
    assert response.status_code == 200
    grant = response.json()
    assert list(grant) == ["access_token", "expires_in"] and grant["expires_in"] == 30.0
    token = grant["access_token"]
    assert len(token.split(".")) == 3
    assert re.fullmatch(r"[A-Za-z0-9_\-.]+", token)
    assert listen(client, headers={"Authorization": f"Bearer {token}"}).status_code == 200
    assert_error(listen(client, headers={"Authorization": f"Token {token}"}), 401, "INVALID_AUTH")
    bearer = {"Authorization": f"Bearer {token}"}
    assert_error(client.post("/v1/auth/grant", headers=bearer), 401, "INVALID_AUTH")
    assert_error(client.post("/v1/auth/grant", headers={"Authorization": f"Bearer {KEY}"}), 401,
                 "INVALID_AUTH")  # fmt: skip
    assert_error(client.post("/v1/auth/grant"), 401, "INVALID_AUTH")


@pytest.mark.parametrize(
    ("body", "status", "expires_in"),
    [
        (b'{"ttl_seconds": 5}', 200, 5.0),
        (b'{"ttl_seconds": 0.5}', 200, 0.5),
        (b"{}", 200, 30.0),
        (b'{"ttl_seconds": 0}', 400, None),
        (b'{"ttl_seconds": -1}', 400, None),
        (b'{"ttl_seconds": "5"}', 400, None),
        (b'{"ttl_seconds": true}', 400, None),
        (b'{"ttl_seconds": 86400}', 400, None),
        (b"[5]", 400, None),
        (b"{nope", 400, None),
    ],
)
def test_grant_ttl(
    client: httpx.Client, body: bytes, status: int, expires_in: float | None
) -> None:
    headers = AUTH | {"Content-Type": "application/json"}
    response = client.post("/v1/auth/grant", content=body, headers=headers)
    if status == 200:
        assert response.status_code == 200 and response.json()["expires_in"] == expires_in
    else:
        assert_error(response, status)


def test_expired_tokens_are_refused() -> None:
    now = [1000.0]
    app = create_app(Settings(), clock=lambda: now[0])
    with running(app) as url, httpx.Client(base_url=url) as http:
        grant = http.post("/v1/auth/grant", json={"ttl_seconds": 10}, headers=AUTH).json()
        bearer = {"Authorization": f"Bearer {grant['access_token']}"}
        assert listen(http, headers=bearer).status_code == 200
        now[0] += 10
        assert_error(listen(http, headers=bearer), 401, "INVALID_AUTH")


# --- response fields ----------------------------------------------------------------------


def test_metadata_fields(client: httpx.Client) -> None:
    before = time.time()
    response = listen(client)
    body = response.json()
    metadata = body["metadata"]
    assert list(body) == ["metadata", "results"]
    assert list(metadata) == METADATA_KEYS
    assert metadata["transaction_key"] == "deprecated"
    assert uuid.UUID(metadata["request_id"]).version == 4
    assert response.headers["dg-request-id"] == metadata["request_id"]
    assert metadata["sha256"] == hashlib.sha256(MONO.wav).hexdigest()
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", metadata["created"])
    created = time.mktime(time.strptime(metadata["created"][:19], "%Y-%m-%dT%H:%M:%S"))
    assert abs(created - time.timezone - before) < 5
    assert isinstance(metadata["duration"], float) and metadata["duration"] == MONO.duration
    assert metadata["channels"] == 1
    (model,) = metadata["models"]
    assert uuid.UUID(model)
    assert metadata["model_info"] == {
        model: {"name": "general-reference", "version": "2026-01-01.0", "arch": "reference"}
    }


def test_request_ids_are_fresh(client: httpx.Client) -> None:
    first, second = ok(client), ok(client)
    assert first["metadata"]["request_id"] != second["metadata"]["request_id"]
    assert first["results"] == second["results"]


def test_words_follow_the_voiced_bursts(client: httpx.Client) -> None:
    body = ok(client)
    (channel,) = body["results"]["channels"]
    assert list(channel) == ["alternatives"]
    (alternative,) = channel["alternatives"]
    assert list(alternative) == ["transcript", "confidence", "words"]
    found = alternative["words"]
    assert len(found) == len(MONO.bursts[0])
    for word, (start, end) in zip(found, MONO.bursts[0], strict=True):
        assert list(word) == ["word", "start", "end", "confidence"]
        assert start <= word["start"] < word["end"] <= end
        assert 0.5 <= word["confidence"] <= 1.0
    assert alternative["transcript"] == " ".join(w["word"] for w in found)
    assert alternative["confidence"] == pytest.approx(fmean(w["confidence"] for w in found), 1e-3)


def test_silence_has_an_empty_transcript(client: httpx.Client) -> None:
    silent = bytearray(MONO.wav)
    silent[44:] = bytes(len(silent) - 44)
    body = listen(client, body=bytes(silent)).json()
    assert alternatives(body) == [{"transcript": "", "confidence": 0.0, "words": []}]
    assert body["metadata"]["duration"] == MONO.duration


def test_multichannel(client: httpx.Client) -> None:
    split = ok(client, "multichannel=true", STEREO)
    assert split["metadata"]["channels"] == 2
    assert len(split["results"]["channels"]) == 2
    for channel, bursts in enumerate(STEREO.bursts):
        assert len(words(split, channel)) == len(bursts)
    mixed = ok(client, "multichannel=false", STEREO)
    assert mixed["metadata"]["channels"] == 2 and len(mixed["results"]["channels"]) == 1
    assert len(ok(client, "multichannel=true")["results"]["channels"]) == 1


@pytest.mark.parametrize("count", [1, 2, 5, 20])
def test_alternatives(client: httpx.Client, count: int) -> None:
    found = alternatives(ok(client, f"alternatives={count}"))
    assert len(found) == count
    timings = [[(w["start"], w["end"]) for w in a["words"]] for a in found]
    assert all(t == timings[0] for t in timings)
    assert len({a["transcript"] for a in found}) == count


def test_search(client: httpx.Client) -> None:
    terms = ["alpha", "Bravo charlie", "zulu"]
    body = ok(client, "&".join(f"search={t}" for t in terms) + "&multichannel=true", STEREO)
    for channel, result in enumerate(body["results"]["channels"]):
        assert list(result) == ["search", "alternatives"]
        assert [s["query"] for s in result["search"]] == terms
        spans = {(w["start"], w["end"], w["word"]) for w in words(body, channel)}
        for entry in result["search"]:
            for hit in entry["hits"]:
                assert list(hit) == ["confidence", "start", "end", "snippet"]
                assert 0 <= hit["confidence"] <= 1
                assert (hit["start"], hit["end"], hit["snippet"]) in spans
    assert "search" not in ok(client)["results"]["channels"][0]


@pytest.mark.parametrize(("split", "count"), [(None, 2), (0.3, 3), (0.1, 8), (2.0, 1)])
def test_utterances_split_at_long_silences(
    client: httpx.Client, split: float | None, count: int
) -> None:
    query = "utterances=true" + ("" if split is None else f"&utt_split={split}")
    body = ok(client, query)
    limit = 0.8 if split is None else split
    found = body["results"]["utterances"]
    assert len(found) == count
    for utterance in found:
        assert list(utterance) == [
            "start", "end", "confidence", "channel", "transcript", "words", "id",
        ]  # fmt: skip
        assert uuid.UUID(utterance["id"])
        assert utterance["channel"] == 0
        inner = utterance["words"]
        assert (utterance["start"], utterance["end"]) == (inner[0]["start"], inner[-1]["end"])
        assert all(b["start"] - a["end"] <= limit for a, b in pairwise(inner))
        assert utterance["transcript"] == " ".join(w["word"] for w in inner)
    assert all(b["start"] - a["end"] > limit for a, b in pairwise(found))
    assert [w for u in found for w in u["words"]] == words(body)
    assert "utterances" not in ok(client)["results"]


def test_utterances_across_channels_are_ordered(client: httpx.Client) -> None:
    found = ok(client, "utterances=true&multichannel=true", STEREO)["results"]["utterances"]
    assert {u["channel"] for u in found} == {0, 1}
    assert [(u["start"], u["channel"]) for u in found] == sorted(
        (u["start"], u["channel"]) for u in found
    )


def test_diarize(client: httpx.Client) -> None:
    body = ok(client, "diarize=true&utterances=true")
    found = words(body)
    assert found[0]["speaker"] == 0
    assert {w["speaker"] for w in found} == {0, 1}
    for word in found:
        assert list(word) == ["word", "start", "end", "confidence", "speaker", "speaker_confidence"]
        assert 0 <= word["speaker_confidence"] <= 1
    assert [u["speaker"] for u in body["results"]["utterances"]] == [0, 1]
    assert "speaker" not in words(ok(client))[0]


@pytest.mark.parametrize("query", ["punctuate=true", "smart_format=true"])
def test_punctuation(client: httpx.Client, query: str) -> None:
    body = ok(client, query)
    found = words(body)
    assert all(w["punctuated_word"].rstrip(".").lower() == w["word"] for w in found)
    assert found[0]["punctuated_word"][0].isupper() and found[-1]["punctuated_word"].endswith(".")
    assert alternatives(body)[0]["transcript"] == " ".join(w["punctuated_word"] for w in found)
    assert "punctuated_word" not in words(ok(client, "punctuate=false"))[0]


# --- validation ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        "punctuate=TRUE&diarize=false&ner=true&numerals=true&profanity_filter=false",
        "paragraphs=true&dictation=true&filler_words=true&measurements=true&mip_opt_out=true",
        "detect_entities=true&sentiment=true&topics=true&intents=true",
        "alternatives=20",
        "utt_split=1.5",
        "redact=pci&redact=numbers&redact=ssn&redact=true",
        "keywords=medicine:2&keywords=pain:-1.5&keywords=miracle%20medicine",
        "model=nova-3&version=latest&language=en-US&tier=enhanced",
        "callback_method=put&tag=a&extra=k:v",
        "keyword_boost=legacy",
        "made_up_parameter=anything",
    ],
)
def test_valid_parameters_are_accepted(client: httpx.Client, query: str) -> None:
    ok(client, query)


@pytest.mark.parametrize(
    "query",
    [
        "punctuate=yes",
        "multichannel=1",
        "alternatives=0",
        "alternatives=-1",
        "alternatives=two",
        "alternatives=1.5",
        "utt_split=0",
        "utt_split=-1",
        "utt_split=later",
        "utt_split=nan",
        "redact=everything",
        "keywords=word:abc",
        "search=",
        "model=",
    ],
)
def test_invalid_parameters_are_rejected(client: httpx.Client, query: str) -> None:
    body = assert_error(listen(client, query), 400)
    assert query.split("=")[0] in body["err_msg"]


@pytest.mark.parametrize(("name", "limit"), [("search", 25), ("keywords", 200)])
def test_count_limits(client: httpx.Client, name: str, limit: int) -> None:
    ok(client, "&".join(f"{name}=w{i}" for i in range(limit)))
    assert_error(listen(client, "&".join(f"{name}=w{i}" for i in range(limit + 1))), 400)


# --- request bodies -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "content_type", ["audio/wav", "audio/wave", "audio/x-wav", "application/octet-stream", None]
)
def test_raw_audio_is_sniffed_whatever_its_type(
    client: httpx.Client, content_type: str | None
) -> None:
    assert listen(client, content_type=content_type).status_code == 200


@pytest.mark.parametrize(
    ("body", "content_type", "message"),
    [
        (b"", "audio/wav", "empty"),
        (b"definitely not audio", "audio/wav", UNDECODABLE),
        (b"{not json", "application/json", "JSON"),
        (b'["url"]', "application/json", "object"),
        (b'{"uri": "http://example.com/a.wav"}', "application/json", "url"),
        (b'{"url": 5}', "application/json", "url"),
        (b'{"url": "ftp://example.com/a.wav"}', "application/json", "http"),
        (b'{"url": "not a url"}', "application/json", "URL"),
    ],
)
def test_bad_bodies_are_rejected(
    client: httpx.Client, body: bytes, content_type: str, message: str
) -> None:
    error = assert_error(listen(client, body=body, content_type=content_type), 400)
    assert message in error["err_msg"]


@pytest.mark.parametrize("path", ["/mono.wav", "/redirect"])
def test_url_body(client: httpx.Client, audio_host: str, path: str) -> None:
    body = listen(client, body=f'{{"url": "{audio_host}{path}"}}'.encode(),
                  content_type="application/json; charset=utf-8").json()  # fmt: skip
    assert body["metadata"]["sha256"] == hashlib.sha256(MONO.wav).hexdigest()
    assert body["results"] == ok(client)["results"]


def test_url_body_fetch_failure(client: httpx.Client, audio_host: str) -> None:
    response = listen(client, body=f'{{"url": "{audio_host}/missing"}}'.encode(),
                      content_type="application/json")  # fmt: skip
    assert "404" in assert_error(response, 400)["err_msg"]


@pytest.mark.parametrize(
    "host", ["127.0.0.1:{port}", "localhost:{port}", "[::1]:{port}", "10.0.0.1", "169.254.169.254"]
)
def test_private_urls_are_refused_by_default(
    closed: httpx.Client, audio_host: str, host: str
) -> None:
    port = audio_host.rsplit(":", 1)[1]
    url = f"http://{host.format(port=port)}/mono.wav"
    response = listen(closed, body=f'{{"url": "{url}"}}'.encode(), content_type="application/json")
    assert "private" in assert_error(response, 400)["err_msg"]


def test_unknown_routes_get_json_errors(client: httpx.Client) -> None:
    assert_error(client.get("/v1/nothing-here", headers=AUTH), 404, "Not Found")
    assert_error(client.get("/v1/listen", headers=AUTH), 405, "Method Not Allowed")
