"""Rate limits (issue 14): a 429, or a 503 with Retry-After, is waited out with back-off and never
becomes a verdict by itself; per-endpoint caps keep the suite under a live plan's limits; the
report counts the refusals met."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import httpx
import pytest
from hostile_callbacks import HOP_BY_HOP
from hostile_foreign import ForeignTarget, _serving
from hostile_runs import run_together, upstream_reference
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.websockets import WebSocket

from conformance.errors import TargetTimeout
from conformance.reference.model.settings import DEFAULT_API_KEY_ID, DEFAULT_PROJECT_ID
from conformance.wire.http import TargetClient
from conformance.wire.limits import Concurrency, endpoint_of, refusal_wait, retry_after
from conformance.wire.redact import Redactor

TOO_MANY = {"err_code": "TOO_MANY_REQUESTS", "err_msg": "Too many requests. Please try again later"}
"""Deepgram's documented 429 body (docs "Errors")."""


class RateLimiting:
    """Relays to the reference, refusing as `mode` says: `first` answers 429 to the first request
    of each kind (method and endpoint; WebSocket upgrades too), `retry-after` answers those 503
    with Retry-After: 1, `speak-cap` answers 429 to a POST /v1/speak past 5 in flight."""

    def __init__(self, mode: str, upstream: str) -> None:
        self.mode = mode
        self.relay = ForeignTarget("replay", upstream)  # its stream relay and forward() are plain
        self.refused: Counter[str] = Counter()
        self.seen: set[str] = set()
        self.speaking = 0
        self.most_speaking = 0

    def _first(self, kind: str) -> bool:
        """Whether this is the first request of its kind (and so is refused)."""
        first = kind not in self.seen
        self.seen.add(kind)
        return first

    async def handle(self, request: Request) -> Response:
        """Refuse or relay one HTTP request (the preflight GET / is let through: the run's client
        never sees it)."""
        endpoint = endpoint_of(request.url.path)
        if self.mode == "speak-cap" and endpoint == "speak" and request.method == "POST":
            if self.speaking >= 5:
                self.refused[endpoint] += 1
                return JSONResponse(TOO_MANY, 429)
            self.speaking += 1
            self.most_speaking = max(self.most_speaking, self.speaking)
            try:
                return await self._relayed(request)
            finally:
                self.speaking -= 1
        kind = f"{request.method} {endpoint}"
        if self.mode != "speak-cap" and request.url.path != "/" and self._first(kind):
            self.refused[endpoint] += 1
            if self.mode == "retry-after":
                return JSONResponse(
                    {"err_msg": "Please try again later"}, 503, {"Retry-After": "1"}
                )
            return JSONResponse(TOO_MANY, 429)
        return await self._relayed(request)

    async def _relayed(self, request: Request) -> Response:
        """The reference's answer, as it came."""
        answer = await self.relay.forward(request)
        headers = {k: v for k, v in answer.headers.items() if k.lower() not in HOP_BY_HOP}
        return Response(answer.content, answer.status_code, headers)

    async def stream(self, websocket: WebSocket) -> None:
        """Refuse the first upgrade with 429 (as Deepgram refuses streams past the limit)."""
        if self.mode == "first" and self._first("upgrade"):
            self.refused["streams"] += 1
            await websocket.send_denial_response(JSONResponse(TOO_MANY, 429))
            return
        await self.relay.stream(websocket)


@contextmanager
def rate_limiting(mode: str, upstream: str) -> Iterator[tuple[str, RateLimiting]]:
    """Serve the rate-limiting relay in front of the reference; yield its URL and itself."""
    target = RateLimiting(mode, upstream)
    with _serving(target.handle, target.stream, target.relay.client.aclose) as port:
        yield f"http://127.0.0.1:{port}", target


def _verdicts(report: dict[str, object]) -> dict[str, str]:
    entries = report["requirements"]
    assert isinstance(entries, list)
    return {entry["id"]: entry["verdict"] for entry in entries}


IDLE = 4.0
"""The idle timeout behind these relays, twice the hostile modules': a relay runs in the test
process beside two runs, and a loaded machine held a stream's frames there for 2 s, idling the
stream out under STREAM-FINALIZE (a flake of the plain run, not a verdict on rate limits)."""
AREAS = ("--only", "SPEAK", "--only", "STREAM", "--only", "KEYS")
PLAIN = "speak-cap"
RUNS = {PLAIN: AREAS, "first": AREAS, "retry-after": ("--only", "KEYS")}
"""Relay mode -> the areas of the run through it. speak-cap refuses only a sixth speak request
in flight, which the suite never sends: its run is the plain one, of a target that never
refuses, whose verdicts the others must match."""


@dataclass
class Limited:
    """A run through one relay: its report, what it printed, and the relay that saw it."""

    report: dict[str, object]
    console: str
    markdown: str
    relay: RateLimiting


@pytest.fixture(scope="module")
def upstream() -> Iterator[str]:
    """One reference server behind every relay of this module."""
    with upstream_reference(IDLE) as url:
        yield url


def _through(
    upstream: str, folders: Callable[[str], Path], modes: Iterable[str]
) -> dict[str, Limited]:
    """A run through each relay of `modes`, all at once (they wait mostly on callbacks, streams
    and back-off), each with a Markdown summary."""
    with ExitStack() as relays:
        started = {}
        for mode in modes:
            url, relay = relays.enter_context(rate_limiting(mode, upstream))
            folder = folders(mode)
            folder.mkdir(parents=True, exist_ok=True)
            flags = [
                "--target", url, "--project-id", DEFAULT_PROJECT_ID,
                "--api-key-id", DEFAULT_API_KEY_ID, *RUNS[mode], "--markdown", str(folder / "s.md"),
                "--stream-idle-timeout", str(IDLE),
            ]  # fmt: skip
            started[mode] = (folder, flags, relay)
        ran = run_together({mode: (folder, flags) for mode, (folder, flags, _) in started.items()})
    limited = {}
    for mode, (folder, _, relay) in started.items():
        done = ran[mode].done
        assert done.returncode in (0, 1), (done.returncode, done.stderr, done.stdout[-3000:])
        report = json.loads((folder / "report.json").read_text())
        limited[mode] = Limited(report, done.stdout, (folder / "s.md").read_text(), relay)
    return limited


@pytest.fixture(scope="module")
def runs(upstream: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Limited]:
    """A run through each relay, all at once."""
    return _through(upstream, tmp_path_factory.mktemp, RUNS)


def _against_plain(
    runs: dict[str, Limited], mode: str, upstream: str, tmp_path: Path
) -> tuple[Limited, Limited]:
    """The plain run and the run through `mode`: the module's the first time; on a rerun (of a
    test that failed) both again, together."""
    if mode in runs:
        return runs[PLAIN], runs.pop(mode)
    again = _through(upstream, lambda name: tmp_path / name, (PLAIN, mode))
    return again[PLAIN], again[mode]


def test_refusals_are_waited_out_and_counted(
    runs: dict[str, Limited], upstream: str, tmp_path: Path
) -> None:
    """429 to the first request of each kind and to the first upgrade: the verdicts are those
    of a target that never refuses, and the report counts every refusal by endpoint."""
    plain, limited = _against_plain(runs, "first", upstream, tmp_path)
    assert _verdicts(limited.report) == _verdicts(plain.report)
    refused = limited.relay.refused
    assert {"listen", "speak", "streams", "manage"} <= set(refused)
    met = sum(refused.values())
    assert f"{met} rate-limited answers (429) waited out" in limited.console
    assert f"Rate-limited answers (429) waited out: {met}" in limited.markdown
    assert limited.report["rate_limited"] == {
        "responses": met,
        "by_endpoint": dict(sorted(refused.items())),
    }
    assert plain.report["rate_limited"] == {"responses": 0, "by_endpoint": {}}


def test_a_503_with_retry_after_is_asked_again(
    runs: dict[str, Limited], upstream: str, tmp_path: Path
) -> None:
    """503 with Retry-After: 1 to the first request of each kind changes no verdict (of KEYS
    and its prerequisites, all of them in the plain run too)."""
    plain, limited = _against_plain(runs, "retry-after", upstream, tmp_path)
    verdicts, before = _verdicts(limited.report), _verdicts(plain.report)
    assert verdicts == {i: before[i] for i in verdicts}
    counted = limited.report["rate_limited"]
    assert isinstance(counted, dict)
    assert counted["responses"] == sum(limited.relay.refused.values()) > 0


def test_speak_stays_under_its_cap(runs: dict[str, Limited]) -> None:
    """A target refusing a sixth POST /v1/speak in flight is never refused: the suite keeps five
    at most, even where a case gathers more probes."""
    report, relay = runs[PLAIN].report, runs[PLAIN].relay
    assert relay.most_speaking == 5
    assert not relay.refused
    assert report["rate_limited"] == {"responses": 0, "by_endpoint": {}}
    config = report["config"]
    assert isinstance(config, dict)
    assert config["concurrency"]["speak"] == 5


def _client(handler: httpx.MockTransport, timeout: float = 3.0) -> TargetClient:
    """A client whose requests the handler answers."""
    client = TargetClient("http://target", "Token k", Redactor(), timeout, Concurrency())
    client._http = httpx.AsyncClient(transport=handler)
    return client


def test_a_target_that_keeps_refusing_ends_as_a_timeout_not_a_refusal() -> None:
    """Refused past the budget: a timeout saying how often, with every refusal counted."""
    client = _client(httpx.MockTransport(lambda _: httpx.Response(429, json=TOO_MANY)), 3.0)

    async def ask() -> None:
        await client.request("POST", "/v1/speak", json_body={"text": "hi"})

    with pytest.raises(TargetTimeout, match=r"rate limited \(429\) \d+ times"):
        asyncio.run(ask())
    tally = client.rate_limited
    assert tally.responses >= 3
    assert set(tally.by_endpoint) == {"speak"}


def test_a_503_without_retry_after_is_an_answer() -> None:
    """A plain 503 is the target's answer, judged as such: not retried, not counted."""
    client = _client(httpx.MockTransport(lambda _: httpx.Response(503)))
    exchange = asyncio.run(client.request("GET", "/v1/projects/p/keys"))
    assert exchange.status == 503
    assert client.rate_limited.responses == 0


def test_rest_endpoints_are_capped_each() -> None:
    """Eight speak requests gathered: five in flight at most; listen has its own slots."""
    in_flight: Counter[str] = Counter()
    most: Counter[str] = Counter()

    async def handler(request: httpx.Request) -> httpx.Response:
        endpoint = endpoint_of(request.url.path)
        in_flight[endpoint] += 1
        most[endpoint] = max(most[endpoint], in_flight[endpoint])
        await asyncio.sleep(0.05)
        in_flight[endpoint] -= 1
        return httpx.Response(200)

    client = _client(httpx.MockTransport(handler))

    async def burst() -> None:
        await asyncio.gather(
            *(client.request("POST", "/v1/speak") for _ in range(8)),
            *(client.request("POST", "/v1/listen") for _ in range(8)),
        )

    asyncio.run(burst())
    assert most == {"speak": 5, "listen": 8}


def test_retry_after_in_seconds_or_as_a_date_is_honoured_up_to_a_cap() -> None:
    """Retry-After as delta-seconds or HTTP-date; without it, doubling back-off."""
    now = datetime(2025, 1, 1, tzinfo=UTC)
    assert retry_after("7") == 7.0
    assert retry_after(format_datetime(now + timedelta(seconds=4), usegmt=True), now) == 4.0
    assert retry_after("soon") is None
    assert refusal_wait(429, {"retry-after": "3600"}, 0) == 30.0
    assert [refusal_wait(429, {}, n) for n in range(6)] == [0.5, 1.0, 2.0, 4.0, 8.0, 8.0]
    assert refusal_wait(503, {}, 0) is None
    assert refusal_wait(503, {"retry-after": "1"}, 0) == 1.0
    assert refusal_wait(200, {}, 0) is None


def test_paths_fall_under_their_endpoint() -> None:
    assert endpoint_of("/v1/speak") == "speak"
    assert endpoint_of("/v2/listen") == "listen"
    assert endpoint_of("/v1/projects/p/keys") == "manage"
    assert endpoint_of("/v1/auth/grant") == "manage"
