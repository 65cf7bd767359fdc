"""API keys on the reference server (both dialects), and the suite's promises about the keys it
creates: every one is deleted when the run ends, even a failing run, and no secret is shown."""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import itertools
import json
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace

import httpx
import pytest
from conftest import Collector
from runner import PYTHON, cli
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Mount, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from conformance.cases import REGISTRY
from conformance.contract import catalogue
from conformance.reference import Settings, create_app
from conformance.reference.model import keys as reference_keys
from conformance.reference.model.requests_log import MAX_LOGGED, LoggedRequest, RequestLog
from conformance.reference.serving import running
from conformance.run.config import AuthScheme, Credentials, RunConfig
from conformance.run.engine import Engine
from conformance.run.events import RunFinished
from conformance.run.verdicts import BROKEN, Verdict
from conformance.timing import EMBEDDED_OBSERVATION, EMBEDDED_PACE, Timing
from conformance.wire import audio

SETTINGS = Settings()
TOKEN = {"Authorization": f"Token {SETTINGS.api_key}"}
PROJECT = f"/v1/projects/{SETTINGS.project_id}"
WAV = {"Content-Type": "audio/wav"}
CANARY = "canary-secret-"


def _basic(user: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


@contextmanager
def _serving(*faults: str, allow_private_callbacks: bool = False) -> Iterator[str]:
    """A fresh in-process reference server with these faults."""
    settings = Settings(faults=frozenset(faults), allow_private_callbacks=allow_private_callbacks)
    with running(create_app(settings)) as url:
        yield url


def _key_ids(server: str) -> list[str]:
    listed = httpx.get(f"{server}{PROJECT}/keys", headers=TOKEN, timeout=10).json()["api_keys"]
    return [k["api_key"]["api_key_id"] for k in listed]


@pytest.fixture
def server() -> Iterator[str]:
    """A fresh, fault-free in-process reference server."""
    with _serving() as url:
        yield url


def test_legacy_keys_dialect(server: str) -> None:
    with httpx.Client(base_url=server, timeout=10) as http:
        created = http.post("/v2/keys", json={"label": "mine"}, headers=TOKEN)
        assert created.status_code == 201
        key = created.json()
        assert set(key) == {"key", "secret", "label"} and key["label"] == "mine"
        as_key = _basic(key["key"], key["secret"]) | WAV
        assert http.post("/v1/listen", content=audio.mono().wav, headers=as_key).status_code == 200
        listed = http.get("/v2/keys", headers=TOKEN).json()["keys"]
        assert {"key": key["key"], "label": "mine"} in listed
        assert key["secret"] not in str(listed)
        gone = http.request("DELETE", "/v2/keys", json={"key": key["key"]}, headers=TOKEN)
        assert gone.status_code == 204
        again = http.request("DELETE", "/v2/keys", json={"key": key["key"]}, headers=TOKEN)
        assert again.status_code == 404
        assert http.post("/v1/listen", content=audio.mono().wav, headers=as_key).status_code == 401


def test_basic_auth_takes_a_key_id_and_its_secret(server: str) -> None:
    with httpx.Client(base_url=server, timeout=10) as http:
        good = _basic(SETTINGS.api_key_id, SETTINGS.api_key) | WAV
        wrong = _basic(SETTINGS.api_key_id, "not-the-secret") | WAV
        assert http.post("/v1/listen", content=audio.mono().wav, headers=good).status_code == 200
        assert http.post("/v1/listen", content=audio.mono().wav, headers=wrong).status_code == 401


def test_management_needs_the_project_and_an_api_key(server: str) -> None:
    with httpx.Client(base_url=server, timeout=10) as http:
        assert http.get(f"{PROJECT}/keys").status_code == 401
        assert http.get("/v1/projects/elsewhere/keys", headers=TOKEN).status_code == 404
        assert http.get(f"{PROJECT}/requests/nope", headers=TOKEN).status_code == 404
        assert http.post(f"{PROJECT}/keys", json={"comment": "x"}, headers=TOKEN).status_code == 400


def _keys_and_tags_run(url: str, dialect: str) -> RunFinished:
    """The KEYS and TAG cases only, against the server at url."""
    cases = [c for c in REGISTRY if c.name.startswith(("keys.", "tag."))]
    ids = {c.requirement_id for c in cases}
    full = catalogue.load()
    only = dataclasses.replace(
        full, requirements=tuple(r for r in full.requirements if r.id in ids)
    )
    config = RunConfig(
        target=url,
        credentials=Credentials(SETTINGS.api_key, AuthScheme.TOKEN, SETTINGS.api_key_id),
        project_id=SETTINGS.project_id,
        dialect=dialect,
        timing=Timing(observation_base=EMBEDDED_OBSERVATION),  # it logs as it answers
        pace=EMBEDDED_PACE,  # a local server: TAG-STREAMING's stream need not take real time
    )
    return asyncio.run(Engine(config, [Collector()], catalogue=only, cases=cases).run())


@pytest.mark.parametrize("dialect", ["v1", "v2"])
def test_a_failing_run_still_deletes_every_key_it_created(dialect: str) -> None:
    with _serving("new-key-not-active", "key-secret-shown-again") as server:
        finished = _keys_and_tags_run(server, dialect)
        listed = httpx.get(f"{server}{PROJECT}/keys", headers=TOKEN).json()["api_keys"]
    failed = {r.requirement.id for r in finished.requirements if r.verdict is Verdict.FAIL}
    assert {"KEYS-AUTHENTICATES", "KEYS-SECRET-ONCE"} <= failed
    assert [k["api_key"]["api_key_id"] for k in listed] == [SETTINGS.api_key_id]


@pytest.fixture
def canary_secrets(monkeypatch: pytest.MonkeyPatch) -> itertools.count[int]:
    """Every key secret the reference creates holds CANARY; the count tells how many were."""
    counter = itertools.count()
    # the reference's own `secrets` only: the suite, run in process, draws its callback paths
    # from the real module
    canaries = SimpleNamespace(token_hex=lambda _: f"{CANARY}{next(counter):04d}")
    monkeypatch.setattr(reference_keys, "secrets", canaries)
    return counter


KEYS_SCALE = "0.05"
"""--time-scale of the KEYS runs against an in-process reference, which answers at once: a
deleted key that still works (a fault) is polled for 3 s, not 60."""


def _keys_run(server: str, tmp_path: Path, *more: str) -> subprocess.CompletedProcess[str]:
    """`conformance run --only KEYS` against `server` with the development key."""
    return cli(
        "run", "--target", server, "--api-key", SETTINGS.api_key,
        "--project-id", SETTINGS.project_id, "--only", "KEYS", "--report-dir", str(tmp_path),
        "--time-scale", KEYS_SCALE, *more,
    )  # fmt: skip


def test_created_secrets_appear_in_no_output(
    tmp_path: Path, canary_secrets: itertools.count[int]
) -> None:
    with _serving("key-secret-shown-again", "deleted-key-still-works") as server:
        done = _keys_run(
            server, tmp_path, "--only", "TAG", "--markdown", str(tmp_path / "report.md")
        )
    assert done.returncode == 1, done.stdout + done.stderr
    assert next(canary_secrets) > 3, "the run created keys"
    outputs = [
        done.stdout,
        done.stderr,
        *(p.read_text() for p in tmp_path.rglob("*") if p.is_file()),
    ]
    assert all(CANARY not in output for output in outputs)


def test_request_log_forgets_the_oldest() -> None:
    log = RequestLog()
    for n in range(MAX_LOGGED + 1):
        log.add(LoggedRequest(str(n), "2026-01-01T00:00:00Z", "/v1/listen", None, ("t",), 200, 1.0))
    assert log.get("0") is None and log.get(str(MAX_LOGGED)) is not None
    assert len(log.tagged(["t"])) == MAX_LOGGED


@pytest.mark.parametrize(("stop", "code"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_a_stopped_run_deletes_its_keys_and_says_so_in_one_line(
    stop: signal.Signals, code: int, tmp_path: Path
) -> None:
    # CALLBACK cases wait out a 30 s retry schedule, so the run is still going when the keys
    # of the KEYS cases exist: the signal arrives mid-run, as from a CI timeout or Ctrl-C.
    with _serving(allow_private_callbacks=True) as server:
        command = [PYTHON, "-m", "conformance", "run", "--target", server]
        command += ["--api-key", SETTINGS.api_key, "--project-id", SETTINGS.project_id]
        command += ["--only", "KEYS", "--only", "CALLBACK", "--report-dir", str(tmp_path)]
        process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            deadline = time.monotonic() + 60
            while len(_key_ids(server)) < 3:  # the development key and two the run created
                assert time.monotonic() < deadline, "the run created no keys within 60 s"
                with pytest.raises(subprocess.TimeoutExpired):  # also the pause between looks
                    process.wait(timeout=0.05)
            process.send_signal(stop)
            _, stderr = process.communicate(timeout=60)
        finally:
            process.kill()
        assert _key_ids(server) == [SETTINGS.api_key_id]
    assert process.returncode == code
    assert f"conformance: interrupted by {stop.name}" in stderr.splitlines(), stderr
    assert "Traceback" not in stderr, stderr


class _DeleteFails:
    """The reference server, except that deleting a key answers 500."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "DELETE":
            await JSONResponse({"err_msg": "broken"}, status_code=500)(scope, receive, send)
        else:
            await self.app(scope, receive, send)


def test_a_key_the_run_cannot_delete_is_named_on_stderr_and_in_the_report(
    tmp_path: Path, canary_secrets: itertools.count[int]
) -> None:
    with running(_DeleteFails(create_app(Settings()))) as server:
        done = _keys_run(server, tmp_path)
        left = set(_key_ids(server)) - {SETTINGS.api_key_id}
    assert len(left) >= 2, "the run created keys (the shared one and a case's own)"
    warnings = [line for line in done.stderr.splitlines() if "could not delete" in line]
    assert sorted(warnings) == sorted(
        f"conformance: warning: the run could not delete API key {key_id} "
        f"(DELETE {server}{PROJECT}/keys/{key_id} -> 500 application/json) from the target; "
        "delete it by hand"
        for key_id in left
    ), done.stderr
    report = json.loads((tmp_path / "report.json").read_text())
    assert {entry.split()[2] for entry in report["left_on_target"]} == left
    assert CANARY not in done.stderr + json.dumps(report)


def test_usage_in_the_official_shape_skips_the_tag_filter_naming_why() -> None:
    async def official_usage(_: object) -> JSONResponse:
        resolution = {"units": "day", "amount": 1}
        return JSONResponse({"start": "2026-01-01", "end": "2026-01-02", "resolution": resolution})

    app = Starlette(
        routes=[
            Route(f"{PROJECT}/usage", official_usage),
            Mount("/", create_app(Settings(allow_private_callbacks=True))),
        ]
    )
    with running(app) as server:
        finished = _keys_and_tags_run(server, "v1")
    verdicts = {r.requirement.id: r for r in finished.requirements}
    usage = verdicts["TAG-USAGE-FILTER"]
    assert usage.verdict is Verdict.SKIP, usage.reason
    assert "UsageV1Response" in usage.reason
    rest = {i: r for i, r in verdicts.items() if i not in {"TAG-USAGE-FILTER", "KEYS-LEGACY-PAIR"}}
    assert all(r.verdict is Verdict.PASS for r in rest.values())
    assert verdicts["KEYS-LEGACY-PAIR"].verdict is Verdict.SKIP  # the v1 API has no pairs


def test_the_legacy_dialect_passes_every_key_requirement_the_pair_included() -> None:
    """Under v2 a created key authenticates as key:secret (KEYS-LEGACY-PAIR), and the rest of
    KEYS and TAG holds as under v1 (but what the legacy key API has no endpoint for)."""
    with running(create_app(Settings(allow_private_callbacks=True))) as server:
        finished = _keys_and_tags_run(server, "v2")
    verdicts = {r.requirement.id: r for r in finished.requirements}
    assert verdicts["KEYS-LEGACY-PAIR"].verdict is Verdict.PASS, verdicts["KEYS-LEGACY-PAIR"]
    assert verdicts["KEYS-AUTHENTICATES"].verdict is Verdict.PASS
    broken = {i: r.reason for i, r in verdicts.items() if r.verdict in BROKEN}
    assert broken == {}
