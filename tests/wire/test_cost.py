"""What a run costs (issue 19): the figures report.json states are the exact counts of what went
to the target, and --budget keeps a run under them, skipping what would exceed it."""

from __future__ import annotations

import asyncio
import io
import json
import wave
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from hostile_callbacks import HOP_BY_HOP
from hostile_foreign import ForeignTarget, _serving
from runner import reference, run_cli
from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket

from conformance.errors import Skipped
from conformance.reference.model.settings import DEFAULT_API_KEY_ID, DEFAULT_PROJECT_ID
from conformance.wire import audio
from conformance.wire.codecs import stream_audio
from conformance.wire.containers import CONTAINERS, encoded
from conformance.wire.cost import (
    Budget,
    RunCost,
    body_seconds,
    current_requirement,
    describe,
    parse_budget,
)
from conformance.wire.limits import Concurrency, Gate, current_gate, endpoint_of
from conformance.wire.receiver import Receiver
from conformance.wire.redact import Redactor
from conformance.wire.stream import open_stream


class Counting:
    """Relays to the reference and counts, on its own, what the run sent: requests by endpoint,
    seconds of WAV audio in bodies, and characters of text to speak."""

    def __init__(self, upstream: str) -> None:
        self.relay = ForeignTarget("replay", upstream)
        self.requests: Counter[str] = Counter()
        self.audio = 0.0
        self.characters = 0

    async def handle(self, request: Request) -> Response:
        """Count one request (not the preflight GET /), then relay it."""
        body = await request.body()
        if request.url.path != "/":
            endpoint = endpoint_of(request.url.path)
            self.requests[endpoint] += 1
            if body[:4] == b"RIFF":
                with wave.open(io.BytesIO(body)) as reader:
                    self.audio += reader.getnframes() / reader.getframerate()
            media = request.headers.get("content-type", "").split(";")[0].strip()
            if endpoint == "speak" and media == "text/plain":
                self.characters += len(body.decode())
            elif endpoint == "speak":
                self.characters += len(json.loads(body).get("text", "")) if body[:1] == b"{" else 0
        answer = await self.relay.forward(request)
        headers = {k: v for k, v in answer.headers.items() if k.lower() not in HOP_BY_HOP}
        return Response(answer.content, answer.status_code, headers)

    async def stream(self, websocket: WebSocket) -> None:
        """No stream is expected of the areas these tests run."""
        await websocket.close(1008)


@contextmanager
def counting(upstream: str) -> Iterator[tuple[str, Counting]]:
    """Serve the counting relay in front of the reference; yield its URL and itself."""
    target = Counting(upstream)
    with _serving(target.handle, target.stream, target.relay.client.aclose) as port:
        yield f"http://127.0.0.1:{port}", target


def _run(url: str, report_dir: Path, *args: str) -> dict[str, object]:
    """Run against `url`; the report.json it wrote."""
    done = run_cli(
        "run",
        "--target",
        url,
        "--api-key",
        "cli-test-key",
        "--project-id",
        DEFAULT_PROJECT_ID,
        "--api-key-id",
        DEFAULT_API_KEY_ID,
        "--capabilities",
        "listen,speak,grant",
        "--report-dir",
        str(report_dir),
        *args,
    )
    assert done.returncode in (0, 1), (done.returncode, done.stderr, done.stdout[-3000:])
    assert "cost: " in done.stdout
    report: dict[str, object] = json.loads((report_dir / "report.json").read_text())
    return report


def test_the_report_counts_exactly_what_was_sent(tmp_path: Path) -> None:
    """--only AUTH --only SPEAK through a relay that counts for itself: the same requests per
    endpoint, audio seconds and characters as report.json states."""
    with reference() as upstream, counting(upstream) as (url, target):
        report = _run(url, tmp_path, "--only", "AUTH", "--only", "SPEAK")
    cost = report["cost"]
    assert isinstance(cost, dict)
    assert cost["requests_by_endpoint"] == dict(sorted(target.requests.items()))
    assert cost["requests"] == sum(target.requests.values()) > 0
    assert cost["audio_seconds_prerecorded"] == pytest.approx(target.audio, abs=0.01)
    assert cost["audio_seconds_prerecorded"] > 0
    assert cost["audio_seconds_streamed"] == 0
    assert cost["tts_characters"] == target.characters > 0
    assert cost["budget"] == {"audio": None, "requests": None}
    shares = cost["by_requirement"]
    assert sum(share["requests"] for share in shares.values()) == cost["requests"]
    assert sum(share["audio_seconds"] for share in shares.values()) == pytest.approx(target.audio)
    assert shares["SPEAK-AUDIO"] == {"requests": 1, "audio_seconds": 0.0}


def test_what_would_exceed_the_budget_is_skipped_saying_why(tmp_path: Path) -> None:
    """A budget of two requests: two are sent, the cases needing more skip with the reason."""
    with reference() as upstream, counting(upstream) as (url, target):
        report = _run(url, tmp_path, "--only", "AUTH", "--budget", "requests=2")
    assert sum(target.requests.values()) == 2
    cost = report["cost"]
    assert isinstance(cost, dict)
    assert cost["requests"] == 2
    assert cost["budget"] == {"audio": None, "requests": 2}
    entries = report["requirements"]
    assert isinstance(entries, list)
    skipped = [e for e in entries if e["reason"].startswith("budget: ")]
    assert skipped
    assert all(e["verdict"] == "skip" for e in skipped)
    assert (
        "budget: 2 of 2 requests spent (--budget); this request would take one more request"
        in (skipped[0]["reason"])
    )


def test_the_budget_keeps_room_to_delete_every_key_it_let_the_run_create(tmp_path: Path) -> None:
    """A budget that runs out amid the KEYS cases: each key's deletion was set aside when it
    was made, so the run deletes every key it created and still spends no more than allowed."""
    with reference() as url:
        for cap in (7, 9):
            done = run_cli(
                "run", "--target", url, "--api-key", "cli-test-key",
                "--project-id", DEFAULT_PROJECT_ID, "--api-key-id", DEFAULT_API_KEY_ID,
                "--only", "KEYS", "--budget", f"requests={cap}",
                "--report-dir", str(tmp_path / str(cap)),
            )  # fmt: skip
            assert done.returncode == 0, done.stderr
            report = json.loads((tmp_path / str(cap) / "report.json").read_text())
            assert report["left_on_target"] == []
            assert report["cost"]["requests"] <= cap
            assert "could not delete" not in done.stderr


@pytest.mark.parametrize(
    "value", ["audio=abc", "requests=1.5", "speak=3", "audio=-1", "", "audio=1,audio=2"]
)
def test_a_malformed_budget_is_one_line_and_exit_2(value: str) -> None:
    done = run_cli("run", "--budget", value)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1
    assert "--budget" in done.stderr
    assert "Traceback" not in done.stderr


def test_budget_parsing_and_the_profile_table() -> None:
    assert parse_budget("audio=120,requests=300") == {"audio": 120.0, "requests": 300.0}
    assert parse_budget("requests=5") == {"requests": 5.0}
    assert Budget.of({"audio": 60, "requests": 9}) == Budget(60.0, 9)
    assert Budget.of({}) == Budget(None, None)


def test_audio_in_a_body_is_read_from_its_clip_its_header_or_its_query() -> None:
    clip = audio.mono()
    assert body_seconds(clip.wav, "audio/wav", (), "mono") == clip.duration
    assert body_seconds(audio.at_8khz(clip), "audio/wav", (), None) == pytest.approx(
        clip.duration, abs=0.001
    )
    raw = b"\0" * 32_000
    params = (("encoding", "linear16"), ("sample_rate", "16000"))
    assert body_seconds(raw, "audio/l16", params, None) == 1.0
    assert body_seconds(raw, "audio/l16", (*params, ("channels", "2")), None) == 0.5
    assert body_seconds(b'{"url": "x"}', "application/json", (), None) == 0.0
    for container in CONTAINERS:
        compressed = encoded(clip, container)
        seconds = body_seconds(compressed, container.content_type, (), None)
        assert seconds == pytest.approx(clip.duration, abs=0.1), container.name
    assert body_seconds(b"not audio" * 10, "audio/mpeg", (), None) == 0.0


def test_an_audio_budget_refuses_the_request_that_would_pass_it() -> None:
    cost = RunCost(Budget(audio=10.0))
    charged = current_requirement.set("LISTEN-SCHEMA")
    cost.request("listen", audio_seconds=6.0)
    with pytest.raises(Skipped, match=r"budget: 6.0 of 10 audio seconds spent .* 6.0 more"):
        cost.request("listen", audio_seconds=6.0)
    cost.request("speak", characters=12)
    assert cost.as_report()["requests_by_endpoint"] == {"listen": 1, "speak": 1}
    assert cost.as_report()["audio_seconds"] == 6.0
    assert "2 requests (listen 1, speak 1)" in describe(cost.as_report())
    current_requirement.reset(charged)
    assert cost.as_report()["by_requirement"] == {
        "LISTEN-SCHEMA": {"requests": 2, "audio_seconds": 6.0}
    }


def test_streams_sending_at_once_cannot_pass_the_budget_together() -> None:
    """Audio a stream is about to send is set aside: a second stream cannot take it too."""
    cost = RunCost(Budget(audio=10.0))
    cost.reserve(6.0)
    with pytest.raises(Skipped, match=r"budget: 6.0 of 10 audio seconds spent"):
        cost.reserve(6.0)
    cost.streamed(2.0)
    cost.release(4.0)  # the first stream closed early
    cost.reserve(6.0)
    assert cost.audio_streamed == 2.0


def test_streamed_audio_and_upgrades_are_counted_and_budgeted() -> None:
    """A stream's upgrade is a request and its frames are streamed seconds; audio past the
    budget is not sent, the stream is closed and the case skips."""
    sound = stream_audio("mono")

    async def stream(url: str, cost: RunCost) -> None:
        current_gate.set(Gate(Concurrency(), 10.0, cost))
        opened = await open_stream(
            "ws" + url.removeprefix("http"),
            "/v1/listen",
            sound.params,
            authorization="Token cli-test-key",
            api_key="cli-test-key",
            auth="header",
            redactor=Redactor(),
            deadline=10,
            close_deadline=5,
        )
        assert opened.opened
        try:
            await opened.send_audio(sound, 50.0, seconds=1.0)
            await opened.send_audio(sound, 50.0)
        finally:
            await opened.aclose()

    cost = RunCost(Budget(audio=3.0))
    with reference() as url, pytest.raises(Skipped, match=r"this stream would send 5\.9 more"):
        asyncio.run(stream(url, cost))
    assert cost.requests == {"streams": 1}
    assert cost.audio_streamed == pytest.approx(1.0, abs=1e-6)


def test_callback_deliveries_are_counted_at_the_receiver() -> None:
    async def deliver() -> RunCost:
        cost = RunCost()
        receiver = Receiver("127.0.0.1", None, 10, 5, reachable_from_target=True, cost=cost)
        await receiver.start()
        try:
            box = receiver.mailbox("counted", [500])
            async with httpx.AsyncClient() as client:
                for _ in range(2):
                    await client.post(box.url, content=b"{}")
                await client.get(f"{receiver.base_url}/callback/nobody")  # a stray: not counted
                await client.get(receiver.audio_url("mono"))
        finally:
            await receiver.stop()
        return cost

    cost = asyncio.run(deliver())
    assert cost.callback_deliveries == 2
    assert cost.audio_prerecorded == audio.mono().duration
