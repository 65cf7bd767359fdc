"""Each variant switch really changes the reference server the way the live service behaves, so
that the variant matrix (test_variant_matrix.py) can never pass against a silent no-op."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from conformance.reference import create_app
from conformance.reference.model.errors import ApiError
from conformance.reference.model.params import parse_listen_options
from conformance.reference.model.settings import DEFAULT_API_KEY, DEFAULT_PROJECT_ID, Settings
from conformance.reference.model.variants import VARIANTS, Variant
from conformance.reference.rest.speak import SPEAK_CONCURRENCY
from conformance.reference.server import main
from conformance.reference.serving import running
from conformance.reference.streaming.lanes import FINALIZE_LEAST
from conformance.wire import audio
from conformance.wire.codecs import FRAME_SECONDS, stream_audio

AUTH = {"Authorization": f"Token {DEFAULT_API_KEY}"}
RAW = "encoding=linear16&sample_rate=16000&channels=1"
DEADLINE = 10.0
"""Seconds any one exchange with a server may take."""
CLOSE = json.dumps({"type": "CloseStream"})
FINALIZE = json.dumps({"type": "Finalize"})


def settings(*variants: Variant, **more: Any) -> Settings:
    return Settings(variants=frozenset(variants), **more)


@contextlib.contextmanager
def server(config: Settings) -> Iterator[str]:
    """The reference server with these settings, in this process; yields its base URL."""
    with running(create_app(config)) as url:
        yield url


async def _stream(base: str, query: str, frames: list[bytes | str]) -> list[dict[str, Any]]:
    """Send frames on a stream and collect every message until the server closes it."""
    url = base.replace("http://", "ws://") + f"/v1/listen?{query}"
    messages: list[dict[str, Any]] = []
    async with asyncio.timeout(DEADLINE), connect(url, additional_headers=AUTH) as ws:
        for frame in frames:
            await ws.send(frame)
        with contextlib.suppress(ConnectionClosed):
            async for message in ws:
                messages.append(json.loads(message))
    return messages


def stream(config: Settings, query: str, frames: list[bytes | str]) -> list[dict[str, Any]]:
    with server(config) as base:
        return asyncio.run(_stream(base, query, frames))


def test_serve_lists_every_variant(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--list-variants"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines == [f"{name}\t{text}" for name, text in sorted(VARIANTS.items())]


def test_an_unknown_variant_is_one_line_and_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--variant", "finals-shorter", "--variant", "x"]) == 2
    assert capsys.readouterr().err == "reference: unknown variant 'x' (see --list-variants)\n"
    with pytest.raises(ValueError, match="unknown variant 'x'"):
        Settings(variants=frozenset({"x"}))


def _end(message: dict[str, Any]) -> float:
    return round(float(message["start"]) + float(message["duration"]), 6)


def _undercut(messages: list[dict[str, Any]]) -> list[tuple[float, float]]:
    """(interim end, final end) for each final that ends before the interim just before it."""
    found, interim = [], None
    for message in messages:
        if message["type"] != "Results":
            continue
        if not message["is_final"]:
            interim = message
        elif interim is not None:
            if _end(message) < _end(interim):
                found.append((_end(interim), _end(message)))
            interim = None
    return found


def test_finals_shorter_ends_a_final_before_its_interim_and_the_next_covers_the_rest() -> None:
    frames: list[bytes | str] = [*stream_audio("mono").frames(), CLOSE]
    query = f"{RAW}&interim_results=true"
    shorter = stream(settings("finals-shorter"), query, frames)
    assert _undercut(shorter), "no final ended before the interim that preceded it"
    assert _undercut(stream(settings(), query, frames)) == []
    finals = [m for m in shorter if m["type"] == "Results" and m["is_final"]]
    assert [m["start"] for m in finals[1:]] == [_end(m) for m in finals[:-1]], "contiguous"
    assert _end(finals[-1]) == pytest.approx(stream_audio("mono").duration)


def test_bare_request_record_has_no_wrapper_and_a_null_callback() -> None:
    with server(settings("bare-request-record")) as base, httpx.Client(base_url=base) as http:
        done = http.post(
            "/v1/listen?tag=bare",
            content=audio.mono().wav,
            headers={**AUTH, "Content-Type": "audio/wav"},
        )
        request_id = done.json()["metadata"]["request_id"]
        found = http.get(f"/v1/projects/{DEFAULT_PROJECT_ID}/requests/{request_id}", headers=AUTH)
    record = found.json()
    assert "request" not in record and record["request_id"] == request_id
    assert record["callback"] is None
    assert record["response"]["details"]["tags"] == ["bare"]


async def _speak_burst(base: str) -> list[int]:
    """Hold SPEAK_CONCURRENCY speak requests in flight (their bodies withheld), then send one more
    until it is refused (each earlier try was served alone); every status, the extra one last."""
    release = asyncio.Event()

    async def withheld() -> AsyncIterator[bytes]:
        await release.wait()
        yield b'{"text": "Hello."}'

    headers = {**AUTH, "Content-Type": "application/json"}
    async with httpx.AsyncClient(base_url=base, timeout=DEADLINE) as http:
        held = [
            asyncio.create_task(http.post("/v1/speak", content=withheld(), headers=headers))
            for _ in range(SPEAK_CONCURRENCY)
        ]
        try:
            async with asyncio.timeout(DEADLINE):
                while True:
                    extra = await http.post("/v1/speak", json={"text": "Hi."}, headers=AUTH)
                    if extra.status_code != 200:
                        break
        finally:
            release.set()
        answers = await asyncio.gather(*held)
        refused = extra.json()
        assert refused["err_code"] == "TOO_MANY_REQUESTS", refused
        assert refused["err_msg"] == "Too many requests. Please try again later"
        assert refused["request_id"]
        after = await http.post("/v1/speak", json={"text": "Hi."}, headers=AUTH)
    return [a.status_code for a in answers] + [extra.status_code, after.status_code]


def test_speak_429_refuses_the_request_past_five_in_flight() -> None:
    with server(settings("speak-429")) as base:
        statuses = asyncio.run(_speak_burst(base))
    assert statuses == [200] * SPEAK_CONCURRENCY + [429, 200]


def test_terse_errors_plain_text_404_and_no_request_id() -> None:
    with server(settings("terse-errors")) as base, httpx.Client(base_url=base) as http:
        missing = http.get("/v1/nowhere", headers=AUTH)
        refused = http.post("/v1/listen", content=audio.mono().wav)
    assert missing.status_code == 404 and missing.text == "Not Found"
    assert missing.headers["content-type"].startswith("text/plain")
    assert refused.status_code == 401
    assert refused.json() == {"err_code": "INVALID_AUTH", "err_msg": "Invalid credentials."}


def _methods_of_callbacks(config: Settings) -> list[str]:
    """The methods of the streaming callback deliveries asked to use PUT."""
    methods: list[str] = []

    async def receive(request: Request) -> Response:
        methods.append(request.method)
        return Response()

    receiver = Starlette(routes=[Route("/cb", receive, methods=["POST", "PUT"])])
    with running(receiver) as callback:
        query = f"{RAW}&callback={callback}/cb&callback_method=put"
        stream(config, query, [*stream_audio("mono").frames()[:5], CLOSE])
    return methods  # complete: a stream ends only once its deliveries are drained


def test_post_only_stream_callbacks_ignores_callback_method() -> None:
    loose = {"allow_private_callbacks": True, "faults": frozenset({"stream-callback-any-port"})}
    posted = _methods_of_callbacks(settings("post-only-stream-callbacks", **loose))
    assert posted and set(posted) == {"POST"}
    assert set(_methods_of_callbacks(settings(**loose))) == {"PUT"}


@pytest.mark.parametrize(("name", "limit"), [("search", 50), ("keywords", 100)])
def test_current_limits(name: str, limit: int) -> None:
    current = settings("current-limits")
    values = [(name, f"term{i:03d}") for i in range(limit + 1)]
    assert len(getattr(parse_listen_options(values[:limit], current), name)) == limit
    with pytest.raises(ApiError) as refused:
        parse_listen_options(values, current)
    assert refused.value.status == 400


def _flushed(config: Settings, seconds: float) -> list[dict[str, Any]]:
    """The from_finalize Results of a stream Finalized after `seconds` of audio."""
    frames = stream_audio("mono").frames()[: round(seconds / FRAME_SECONDS)]
    messages = stream(config, RAW, [*frames, FINALIZE, CLOSE])
    return [m for m in messages if m.get("from_finalize")]


def test_no_flush_without_audio_below_the_least_audio() -> None:
    short = FINALIZE_LEAST - 2 * FRAME_SECONDS
    assert _flushed(settings("no-flush-without-audio"), short) == []
    assert _flushed(settings(), short)
    assert _flushed(settings("no-flush-without-audio"), FINALIZE_LEAST + FRAME_SECONDS)


def test_zero_channels_empty_stream() -> None:
    messages = stream(settings("zero-channels-empty-stream"), RAW, [CLOSE])
    assert messages == [
        {
            "type": "Metadata",
            "transaction_key": "deprecated",
            "request_id": messages[-1]["request_id"],
            "sha256": hashlib.sha256(b"").hexdigest(),
            "created": messages[-1]["created"],
            "duration": 0.0,
            "channels": 0,
        }
    ]
    assert stream(settings(), RAW, [CLOSE])[-1]["channels"] == 1


@pytest.mark.parametrize(("name", "value"), [("alternatives", "0"), ("utt_split", "0"),
                                             ("utt_split", "-1.5")])  # fmt: skip
def test_lenient_params_accepts_and_ignores_out_of_range_values(name: str, value: str) -> None:
    options = parse_listen_options([(name, value)], settings("lenient-params"))
    assert (options.alternatives, options.utt_split) == (1, 0.8)
    with pytest.raises(ApiError):
        parse_listen_options([(name, value)], settings())
    with pytest.raises(ApiError):
        parse_listen_options([(name, "many")], settings("lenient-params"))
