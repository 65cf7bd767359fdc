"""Each fault switch breaks exactly the requirements it names: a miniature suite run per fault."""

from __future__ import annotations

import asyncio
import hashlib
import re
import threading
import uuid
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from itertools import pairwise
from typing import Any

import httpx
import pytest
from callback_checks import CALLBACK_BREAKS, CALLBACK_CHECKS
from feature_checks import FEATURE_BREAKS, FEATURE_CHECKS
from fuzz_checks import FUZZ_BREAKS, FUZZ_CHECKS
from listen_checks import LISTEN_BREAKS, LISTEN_CHECKS
from manage_checks import MANAGE_BREAKS, MANAGE_CHECKS
from speak_checks import SPEAK_BREAKS, SPEAK_CHECKS
from starlette.types import ASGIApp
from tagging_checks import TAGGING_BREAKS, TAGGING_CHECKS

from conformance.contract import catalogue
from conformance.reference import FAULTS, Settings, create_app
from conformance.reference.streaming.pressure import LOAD_ONLY
from conformance.wire import audio
from conformance.wire.containers import CONTAINERS, encoded

KEY = "dev-api-key"
MONO = audio.mono()
STEREO = audio.stereo()
ISO = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")


class _AudioHandler(BaseHTTPRequestHandler):
    """Serves the mono clip at /mono.wav and 404 elsewhere."""

    def do_GET(self) -> None:
        if self.path != "/mono.wav":
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", "audio/wav")
        self.send_header("Content-Length", str(len(MONO.wav)))
        self.end_headers()
        self.wfile.write(MONO.wav)

    def log_message(self, *_: Any) -> None:
        """Keep test output quiet."""


@pytest.fixture(scope="module")
def audio_url() -> Iterator[str]:
    """A loopback URL serving the mono clip."""
    with ThreadingHTTPServer(("127.0.0.1", 0), _AudioHandler) as httpd:
        thread = threading.Thread(target=httpd.serve_forever, daemon=True)
        thread.start()
        yield f"http://127.0.0.1:{httpd.server_address[1]}/mono.wav"
        httpd.shutdown()
        thread.join(5)


CLEAN = "clean"
"""The name of the fault-free server."""


DEADLINE = 10.0
"""Seconds one request to a fault's app may take."""


class InProcess(httpx.BaseTransport):
    """Hands each request to an ASGI app on an event loop, as uvicorn would, minus the sockets
    and HTTP parsing: about a quarter of the time per request, and these tests send ten
    thousand. An exception in the app is a 500, as uvicorn answers it."""

    def __init__(self, app: ASGIApp, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.asgi = httpx.ASGITransport(app, raise_app_exceptions=False)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """The app's whole answer, within the deadline a client over the network would give."""

        async def exchange() -> httpx.Response:
            answer = await self.asgi.handle_async_request(request)
            content = await answer.aread()
            return httpx.Response(answer.status_code, headers=answer.headers, content=content)

        return self.loop.run_until_complete(asyncio.wait_for(exchange(), DEADLINE))


@pytest.fixture(scope="module")
def reference() -> Iterator[Callable[[str], httpx.Client]]:
    """A clean app and one app per fault, in process; yields a client maker by name."""
    apps = {CLEAN: create_app(Settings(allow_private_urls=True))} | {
        fault: create_app(Settings(faults=frozenset({fault}), allow_private_urls=True))
        for fault in FAULTS
    }
    loop = asyncio.new_event_loop()

    def client(name: str) -> httpx.Client:
        """A client of the app `name` (a fault, or CLEAN)."""
        return httpx.Client(transport=InProcess(apps[name], loop), base_url="http://reference")

    yield client
    loop.close()


class Probe:
    """One server under test; identical requests are sent once and their responses reused."""

    def __init__(self, client: httpx.Client, audio_url: str) -> None:
        self.client = client
        self.audio_url = audio_url
        self._seen: dict[tuple[object, ...], httpx.Response] = {}
        self.credential = f"Token {KEY}"
        if self.status() == 401:
            self.credential = f"Bearer {KEY}"

    def post(
        self,
        query: str = "",
        body: bytes = MONO.wav,
        content_type: str = "audio/wav",
        authorization: str | None = "",
        path: str = "/v1/listen",
    ) -> httpx.Response:
        """POST and remember the response; the default credential is whichever scheme works."""
        if authorization == "":
            authorization = self.credential
        key = (query, body, content_type, authorization, path)  # bytes cache their hash
        if key not in self._seen:
            headers = {"Content-Type": content_type}
            if authorization is not None:
                headers["Authorization"] = authorization
            self._seen[key] = self.client.post(f".{path}?{query}", content=body, headers=headers)
        return self._seen[key]

    def body(self, query: str = "", clip: audio.TestAudio = MONO) -> dict[str, Any]:
        """A successful transcription's JSON."""
        response = self.post(query, clip.wav)
        assert response.status_code == 200, response.text
        document: dict[str, Any] = response.json()
        return document

    def status(self, query: str = "", **kwargs: Any) -> int:
        """Only the status code."""
        return self.post(query, **kwargs).status_code


def _words(body: dict[str, Any], channel: int = 0) -> list[dict[str, Any]]:
    words: list[dict[str, Any]] = body["results"]["channels"][channel]["alternatives"][0]["words"]
    return words


def _utt_split_honoured(p: Probe) -> bool:
    utterances = p.body("utterances=true&utt_split=0.3")["results"].get("utterances")
    if not utterances:
        return False
    inside = all(b["start"] - a["end"] <= 0.3 for u in utterances for a, b in pairwise(u["words"]))
    between = all(b["start"] - a["end"] > 0.3 for a, b in pairwise(utterances))
    return inside and between


def _error_bodies_are_json(p: Probe) -> bool:
    for response in (p.post(body=b"garbage"), p.post(authorization="Basic d3Jvbmc=")):
        if response.headers.get("content-type") != "application/json":
            return False
        body = response.json()
        if set(body) != {"err_code", "err_msg", "request_id"}:
            return False
        uuid.UUID(body["request_id"])
    return True


def _granted_token_works(p: Probe) -> bool:
    grant = p.post(
        body=b"",
        content_type="application/json",
        authorization=f"Token {KEY}",
        path="/v1/auth/grant",
    )
    if grant.status_code != 200:
        return False
    return p.status(authorization=f"Bearer {grant.json()['access_token']}") == 200


def _url_body(p: Probe) -> bool:
    json = f'{{"url": "{p.audio_url}"}}'.encode()
    response = p.post(body=json, content_type="application/json")
    return response.status_code == 200 and response.json()["results"] == p.body()["results"]


def _n(name: str, count: int) -> str:
    return "&".join(f"{name}=w{i}" for i in range(count))


CATALOGUE = catalogue.load()
CHECKS: dict[str, Callable[[Probe], bool]] = {
    "model-values": lambda p: all(
        p.status(f"model={m}&language=en-US") == 200 for m in ("voicemail", "video", "general")
    ),
    "language-values": lambda p: all(
        p.status(f"model=general&language={t}") == 200 for t in ("de", "es-419", "en-GB")
    ),
    "containers": lambda p: all(
        p.post(body=encoded(MONO, c), content_type=c.content_type).status_code == 200
        for c in CONTAINERS
    ),
    "sha256": lambda p: p.body()["metadata"]["sha256"] == hashlib.sha256(MONO.wav).hexdigest(),
    "request-id": lambda p: uuid.UUID(p.body()["metadata"]["request_id"]).version == 4,
    "duration": lambda p: abs(p.body()["metadata"]["duration"] - MONO.duration) < 1e-3,
    "channels": lambda p: p.body(clip=STEREO)["metadata"]["channels"] == 2,
    "created": lambda p: bool(ISO.fullmatch(p.body()["metadata"]["created"])),
    "models": lambda p: (
        set(p.body()["metadata"]["model_info"]) == set(p.body()["metadata"]["models"])
    ),
    "words-ordered": lambda p: (
        [w["start"] for w in _words(p.body())] == sorted(w["start"] for w in _words(p.body()))
    ),
    "confidence-range": lambda p: all(0 <= w["confidence"] <= 1 for w in _words(p.body())),
    "alternatives": lambda p: (
        len(p.body("alternatives=3")["results"]["channels"][0]["alternatives"]) == 3
    ),
    "multichannel": lambda p: len(p.body("multichannel=true", STEREO)["results"]["channels"]) == 2,
    "search-terms": lambda p: (
        [
            s["query"]
            for s in p.body("search=alpha&search=Bravo")["results"]["channels"][0]["search"]
        ]
        == ["alpha", "Bravo"]
    ),
    "search-limit-25": lambda p: p.status(_n("search", 25)) == 200,
    "search-limit-26": lambda p: p.status(_n("search", 26)) == 400,
    "keywords-limit-200": lambda p: p.status(_n("keywords", 200)) == 200,
    "keywords-limit-201": lambda p: p.status(_n("keywords", 201)) == 400,
    "keywords-intensifier": lambda p: p.status("keywords=medicine:2&keywords=pain:-1.5") == 200,
    "utterances": lambda p: bool(p.body("utterances=true")["results"].get("utterances")),
    "utt-split": _utt_split_honoured,
    "diarize": lambda p: (
        min(_words(p.body("diarize=true")), key=lambda w: w["start"])["speaker"] == 0
    ),
    "punctuated-word": lambda p: all(
        "punctuated_word" in w for w in _words(p.body("punctuate=true"))
    ),
    "invalid-boolean": lambda p: p.status("punctuate=maybe") == 400,
    "invalid-alternatives": lambda p: p.status("alternatives=0") == 400,
    "invalid-utt-split": lambda p: p.status("utt_split=0") == 400,
    "invalid-redact": lambda p: p.status("redact=everything") == 400,
    "invalid-intensifier": lambda p: p.status("keywords=word:abc") == 400,
    "redact-accepted": lambda p: p.status("redact=pci&redact=numbers&redact=ssn") == 200,
    "empty-body": lambda p: p.status(body=b"") == 400,
    "bad-json": lambda p: p.status(body=b"{not json", content_type="application/json") == 400,
    "error-body": _error_bodies_are_json,
    "url-body": _url_body,
    "mime-variants": lambda p: all(
        p.status(content_type=t) == 200 for t in ("audio/x-wav", "application/octet-stream")
    ),
    "wav-8khz": lambda p: p.status(body=audio.at_8khz(MONO)) == 200,
    "numerals-transcript": lambda p: all(
        "transcript" in a for a in p.body("numerals=true")["results"]["channels"][0]["alternatives"]
    ),
    "auth-required": lambda p: p.status(authorization=None) == 401,
    "auth-wrong-key": lambda p: p.status(authorization="Token wrong") == 401,
    "auth-token": lambda p: p.status(authorization=f"Token {KEY}") == 200,
    "auth-bearer": lambda p: p.status(authorization=f"Bearer {KEY}") == 200,
    "auth-grant": _granted_token_works,
}
"""Requirement -> whether the server meets it."""

BREAKS: dict[str, set[str]] = {
    "wrong-sha256": {"sha256"},
    "request-id-not-uuid": {"request-id"},
    "duration-inflated": {"duration"},
    "channels-always-one": {"channels"},
    "created-not-iso": {"created"},
    "words-unordered": {"words-ordered"},
    "confidence-out-of-range": {"confidence-range"},
    "ignore-alternatives": {"alternatives"},
    "extra-alternative": {"alternatives"},
    "ignore-multichannel": {"multichannel"},
    "search-drops-term": {"search-terms"},
    "unenforced-search-limit": {"search-limit-26"},
    "search-limit-too-low": {"search-limit-25"},
    "unenforced-keywords-limit": {"keywords-limit-201"},
    "keywords-limit-too-low": {"keywords-limit-200"},
    "reject-keyword-intensifier": {"keywords-intensifier"},
    "no-utterances": {"utterances", "utt-split"},
    "ignore-utt-split": {"utt-split"},
    "diarize-from-one": {"diarize"},
    "no-punctuated-word": {"punctuated-word"},
    "accept-invalid-params": {
        "invalid-boolean",
        "invalid-alternatives",
        "invalid-utt-split",
        "invalid-redact",
        "invalid-intensifier",
    },
    "reject-redact-ssn": {"redact-accepted"},
    "accept-empty-body": {"empty-body"},
    "bad-json-500": {"bad-json"},
    "errors-as-text": {"error-body"},
    "no-url-body": {"url-body"},
    "strict-audio-mime": {"mime-variants", "containers"},
    "schema-missing-models": {"models"},
    "no-auth": {"auth-required"},
    "any-key-accepted": {"auth-wrong-key"},
    "token-scheme-rejected": {"auth-token", "auth-grant"},
    "bearer-rejected": {"auth-bearer", "auth-grant"},
    "auth-403": {"auth-required", "auth-wrong-key", "key-delete"},  # each expects 401
    "param-breaks-schema": {"numerals-transcript"},
    "wav-16khz-only": {"wav-8khz"},
    "wav-only": {"containers"},
    "models-three-only": {"model-values"},
    "english-only": {"language-values"},
}
"""Fault -> the requirements it must break (and no others)."""

for _checks, _breaks in (
    (TAGGING_CHECKS, TAGGING_BREAKS),
    (CALLBACK_CHECKS, CALLBACK_BREAKS),
    (FUZZ_CHECKS, FUZZ_BREAKS),
    (MANAGE_CHECKS, MANAGE_BREAKS),
    (FEATURE_CHECKS, FEATURE_BREAKS),
    (SPEAK_CHECKS, SPEAK_BREAKS),
    (LISTEN_CHECKS, LISTEN_BREAKS),
):  # each area's probes and what its faults break, merged into the one table
    CHECKS |= _checks
    for _fault, _broken in _breaks.items():
        BREAKS.setdefault(_fault, set()).update(_broken)


def _matrix_only(fault: str) -> bool:
    """Whether every requirement the fault breaks is seen only on a stream, or only in a TLS
    delivery: these plain-HTTP probes cannot meet it, the fault matrix proves it alone."""
    broken = [CATALOGUE.requirement(r) for r in CATALOGUE.faults().get(fault, ())]
    return bool(broken) and all(
        "streaming" in r.capabilities or r.id.endswith("-HTTPS") for r in broken
    )


for _fault in FAULTS:
    if _matrix_only(_fault) or _fault in LOAD_ONLY:  # load-only: `conformance load` proves them
        BREAKS.setdefault(_fault, set())


def failing(client: httpx.Client, audio_url: str) -> set[str]:
    """The requirements the server `client` reaches fails."""
    with client:
        probe = Probe(client, audio_url)
        failed = set()
        for name, check in CHECKS.items():
            try:
                ok = check(probe)
            except (KeyError, IndexError, TypeError, ValueError, AssertionError):
                ok = False
            if not ok:
                failed.add(name)
        return failed


def test_every_fault_has_an_expectation() -> None:
    assert set(BREAKS) == set(FAULTS)
    assert set().union(*BREAKS.values()) <= set(CHECKS)


def test_clean_server_meets_every_requirement(
    reference: Callable[[str], httpx.Client], audio_url: str
) -> None:
    assert failing(reference(CLEAN), audio_url) == set()


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_fault_breaks_exactly_its_requirements(
    fault: str, reference: Callable[[str], httpx.Client], audio_url: str
) -> None:
    assert failing(reference(fault), audio_url) == BREAKS[fault]


def _grant(p: Probe, authorization: str) -> httpx.Response:
    return p.post(body=b"", content_type="application/json", authorization=authorization,
                  path="/v1/auth/grant")  # fmt: skip


def _text_errors(p: Probe) -> None:
    for response, text in (
        (p.post(body=b""), "Bad Request"),
        (p.post(authorization=None), "Unauthorized"),
    ):
        assert response.headers["content-type"].startswith("text/plain")
        assert response.text == text


def _empty_body(p: Probe) -> None:
    body = p.post("multichannel=true&alternatives=2", body=b"").json()
    metadata = body["metadata"]
    assert metadata["sha256"] == hashlib.sha256(b"").hexdigest()
    assert (metadata["channels"], metadata["duration"]) == (1, 0.0)
    (channel,) = body["results"]["channels"]
    assert [a["transcript"] for a in channel["alternatives"]] == ["", ""]


def _bearer_rejected(p: Probe) -> None:
    assert p.status(authorization=f"Bearer {KEY}") == 401
    token = _grant(p, f"Token {KEY}").json()["access_token"]
    assert p.status(authorization=f"Bearer {token}") == 401


DETAILS: dict[str, Callable[[Probe], None]] = {
    "wrong-sha256": lambda p: _expect(
        p.body()["metadata"]["sha256"] == hashlib.sha256(MONO.wav + b"\0").hexdigest()
    ),
    "request-id-not-uuid": lambda p: _expect(
        re.fullmatch(r"req-[0-9a-f]{16}", p.body()["metadata"]["request_id"]) is not None
        and uuid.UUID(p.post(body=b"").json()["request_id"]).version == 4
    ),
    "duration-inflated": lambda p: _expect(
        p.body()["metadata"]["duration"] == round(MONO.duration * 1.5, 6)
        and _words(p.body())[-1]["end"] <= MONO.duration
    ),
    "channels-always-one": lambda p: _expect(
        p.body("multichannel=true", STEREO)["metadata"]["channels"] == 1
        and len(p.body("multichannel=true", STEREO)["results"]["channels"]) == 2
    ),
    "created-not-iso": lambda p: _expect(p.body()["metadata"]["created"].isdigit()),
    "words-unordered": lambda p: _expect(
        _words(p.body("utterances=true"))[::-1]
        == [w for u in p.body("utterances=true")["results"]["utterances"] for w in u["words"]]
    ),
    "confidence-out-of-range": lambda p: _expect(
        all(w["confidence"] > 1 for w in _words(p.body("utterances=true")))
        and all(
            w["confidence"] <= 1
            for u in p.body("utterances=true")["results"]["utterances"]
            for w in u["words"]
        )
    ),
    "ignore-alternatives": lambda p: _expect(
        len(p.body("alternatives=3")["results"]["channels"][0]["alternatives"]) == 1
    ),
    "extra-alternative": lambda p: _expect(
        len(p.body("alternatives=3")["results"]["channels"][0]["alternatives"]) == 4
    ),
    "ignore-multichannel": lambda p: _expect(
        len(p.body("multichannel=true", STEREO)["results"]["channels"]) == 1
        and p.body("multichannel=true", STEREO)["metadata"]["channels"] == 2
    ),
    "search-drops-term": lambda p: _expect(
        p.body("search=alpha")["results"]["channels"][0]["search"] == []
    ),
    "no-utterances": lambda p: _expect("utterances" not in p.body("utterances=true")["results"]),
    "diarize-from-one": lambda p: _expect(
        {w["speaker"] for w in _words(p.body("diarize=true"))} == {1, 2}
    ),
    "no-punctuated-word": lambda p: _expect(
        all("punctuated_word" not in w for w in _words(p.body("punctuate=true")))
    ),
    "accept-empty-body": _empty_body,
    "bad-json-500": lambda p: _expect(
        p.post(body=b"{", content_type="application/json").json()["err_code"]
        == "Internal Server Error"
    ),
    "errors-as-text": _text_errors,
    "schema-missing-models": lambda p: _expect(
        "models" not in p.body()["metadata"] and "model_info" not in p.body()["metadata"]
    ),
    "no-auth": lambda p: _expect(
        p.status(authorization=None) == 200 and p.status(authorization="Token wrong") == 401
    ),
    "any-key-accepted": lambda p: _expect(
        p.status(authorization="bearer anything") == 200
        and p.status(authorization=None) == 401
        and p.status(authorization="Basic d3Jvbmc=") == 401
    ),
    "token-scheme-rejected": lambda p: _expect(
        p.status(authorization=f"Token {KEY}") == 401
        and _grant(p, f"Bearer {KEY}").status_code == 200
    ),
    "bearer-rejected": _bearer_rejected,
}
"""Fault -> a closer look at exactly how it misbehaves."""


def _expect(condition: bool) -> None:
    assert condition


@pytest.mark.parametrize("fault", sorted(DETAILS))
def test_fault_details(
    fault: str, reference: Callable[[str], httpx.Client], audio_url: str
) -> None:
    with reference(fault) as client:
        DETAILS[fault](Probe(client, audio_url))
