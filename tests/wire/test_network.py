"""The run's network options: extra headers sent (Authorization-like ones redacted), a paced
start rate, TLS verification choices; and the reports' text habits (no raw control bytes in
the HTML, sources by title, lines not folded in CI, the cases still running named)."""

from __future__ import annotations

import asyncio
import io
import ssl
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
import trustme
from rich.console import Console

from conformance.cli.commands import CI_WIDTH, console_for
from conformance.contract import catalogue
from conformance.report.progress import ProgressDisplay
from conformance.report.sources import title
from conformance.run.config import Credentials, RunConfig
from conformance.run.events import CaseFinished, CaseStarted, RunStarted
from conformance.run.verdicts import CaseResult, Verdict
from conformance.wire.http import TargetClient
from conformance.wire.limits import Concurrency
from conformance.wire.network import Network, Pacer
from conformance.wire.redact import REDACTED, Redactor


def test_extra_headers_are_sent_and_only_credential_like_values_redacted() -> None:
    network = Network((("X-Gateway", "blue"), ("X-Api-Key", "gw-secret-1234")))
    assert network.secrets() == ["gw-secret-1234"]
    seen: list[httpx.Headers] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers)
        return httpx.Response(200, json={"echo": request.headers.get("x-api-key")})

    async def go() -> dict[str, str]:
        client = TargetClient(
            "http://t.example", "Token k-123456", Redactor(["k-123456", *network.secrets()]),
            5, Concurrency(), transport=httpx.MockTransport(answer), network=network,
        )  # fmt: skip
        exchange = await client.request("GET", "/v1/projects")
        await client.aclose()
        assert "gw-secret-1234" not in exchange.response_body
        return exchange.request_headers

    recorded = asyncio.run(go())
    assert seen[0]["x-gateway"] == "blue" and seen[0]["x-api-key"] == "gw-secret-1234"
    assert recorded["X-Gateway"] == "blue" and recorded["X-Api-Key"] == REDACTED


def test_the_pacer_spaces_starts_at_the_rate() -> None:
    async def starts(rate: float | None, count: int) -> float:
        pacer = Pacer(rate)
        began = time.monotonic()
        await asyncio.gather(*(pacer.turn() for _ in range(count)))
        return time.monotonic() - began

    assert asyncio.run(starts(20, 5)) >= 4 / 20 - 0.01
    assert asyncio.run(starts(None, 50)) < 0.1


def test_tls_choices(tmp_path: Path) -> None:
    assert Network().verification() is True
    assert Network(verify=False).verification() is False
    assert Network(verify=False).ssl_context().verify_mode is ssl.CERT_NONE
    authority = tmp_path / "ca.pem"
    trustme.CA().cert_pem.write_to_path(str(authority))
    context = Network(cacert=authority).verification()
    assert isinstance(context, ssl.SSLContext) and context.verify_mode is ssl.CERT_REQUIRED


def test_ci_logs_are_wide_and_colour_can_be_turned_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("COLUMNS", raising=False)
    console = console_for(no_color=True)
    assert console.no_color
    assert console.is_terminal or console.width == CI_WIDTH


def test_sources_are_shown_by_title() -> None:
    assert title("004_9a850adbd9b16251.txt") == "Speech Recognition API reference, legacy v2 (004)"
    assert title("deepgram-api-specs_openapi.yml") == "Deepgram's official OpenAPI spec"
    assert title("unknown.txt") == "unknown.txt"


def test_the_cases_still_running_are_named_near_the_end() -> None:
    out = io.StringIO()
    display = ProgressDisplay(Console(file=out, width=CI_WIDTH))
    config = RunConfig(target="http://t", credentials=Credentials("k"))
    display.handle(RunStarted(config, catalogue.load(), "http://t", datetime.now(UTC), 3))
    for name in ("a.one", "b.two", "c.retry_limit"):
        display.handle(CaseStarted(name, "LISTEN-SHA256"))
    for name in ("a.one", "b.two"):
        result = CaseResult(name, "LISTEN-SHA256", Verdict.FAIL, "long " * 40, 0.1)
        display.handle(CaseFinished(result))
    lines = out.getvalue().splitlines()
    assert "still running (2): b.two, c.retry_limit" in lines
    assert lines[-1] == "still running (1): c.retry_limit"
    assert "fail: a.one (LISTEN-SHA256)" in lines
