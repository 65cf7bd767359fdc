"""The reference server's command line: fault listing, argument errors, readiness and shutdown."""

from __future__ import annotations

import json
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from runner import cli

from conformance.cli.commands import main as cli_main
from conformance.reference import FAULTS
from conformance.reference.model.settings import DEFAULT_API_KEY_ID, DEFAULT_PROJECT_ID
from conformance.reference.server import main
from conformance.wire import audio

DEADLINE = 15.0
"""Seconds to wait for a subprocess to announce itself or to exit."""


def test_list_faults(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--list-faults"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines == [f"{name}\t{text}" for name, text in sorted(FAULTS.items())]


def test_unknown_fault_is_one_line_and_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--fault", "no-auth", "--fault", "x"]) == 2
    captured = capsys.readouterr()
    assert captured.err == "reference: unknown fault 'x' (see --list-faults)\n"
    assert captured.out == ""


@pytest.mark.parametrize(
    "argv", [["--port", "http"], ["--port", "70000"], ["--retry-count", "-1"], ["--api-key", ""]]
)
def test_bad_arguments_exit_2(argv: list[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2


def test_busy_port_is_one_line_and_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.create_server(("127.0.0.1", 0)) as busy:
        port = busy.getsockname()[1]
        assert main(["--port", str(port)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"reference: cannot listen on 127.0.0.1:{port}: ")
    assert err.count("\n") == 1


@contextmanager
def server(
    *args: str,
    env: dict[str, str] | None = None,
    command: tuple[str, ...] = ("conformance.reference",),
) -> Iterator[tuple[subprocess.Popen[str], queue.Queue[str]]]:
    """Start the server as a subprocess (python -m command); yields it and its stdout lines."""
    process = subprocess.Popen(
        [sys.executable, "-m", *command, "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **(env or {})},
    )
    lines: queue.Queue[str] = queue.Queue()

    def pump() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.put(line)

    threading.Thread(target=pump, daemon=True).start()
    try:
        yield process, lines
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(DEADLINE)


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT])
def test_ready_json_then_serves_then_stops_promptly(stop: signal.Signals) -> None:
    with server("--ready-json", "--fault", "no-auth", "--api-key", "s3cret") as (process, lines):
        line = lines.get(timeout=DEADLINE)
        ready = json.loads(line)
        assert set(ready) == {"url", "ws_url", "api_key_id", "project_id", "faults"}
        assert "s3cret" not in line
        assert ready["faults"] == ["no-auth"]
        assert ready["ws_url"] == ready["url"].replace("http://", "ws://")
        clip = audio.mono()
        response = httpx.post(
            f"{ready['url']}/v1/listen", content=clip.wav, headers={"Content-Type": "audio/wav"}
        )
        assert response.status_code == 200
        assert response.json()["metadata"]["duration"] == clip.duration
        process.send_signal(stop)
        assert process.wait(DEADLINE) == 0
        assert lines.empty()
        assert process.stderr is not None and "Traceback" not in process.stderr.read()


def test_banner_shows_how_to_connect() -> None:
    env = {"CONFORMANCE_REFERENCE_API_KEY": "from-env"}
    with server(env=env) as (process, lines):
        first = lines.get(timeout=DEADLINE)
        url = first.split(" on ", 1)[1].split()[0]
        banner = first + "".join(lines.get(timeout=DEADLINE) for _ in range(8))
        assert "from-env" in banner and "curl" in banner and "Faults on:   none" in banner
        response = httpx.post(f"{url}/v1/auth/grant", headers={"Authorization": "Token from-env"})
        assert response.status_code == 200
        process.send_signal(signal.SIGTERM)
        assert process.wait(DEADLINE) == 0


def test_serve_help_shows_the_identifier_defaults(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        cli_main(["serve", "--help"])
    assert exit_info.value.code == 0
    shown = " ".join(capsys.readouterr().out.split())  # argparse wraps the help text
    assert shown.startswith("usage: conformance serve ")
    assert "--api-key-id API_KEY_ID identifier of that key" in shown
    assert f"(default {DEFAULT_API_KEY_ID})" in shown and f"(default {DEFAULT_PROJECT_ID})" in shown


def test_run_against_serve_skips_the_url_body_its_ssrf_guard_refuses(tmp_path: Path) -> None:
    """Default `conformance serve` refuses loopback audio URLs: a skip naming the way out."""
    env = {"CONFORMANCE_REFERENCE_API_KEY": "ssrf-key"}
    with server(env=env, command=("conformance", "serve")) as (_, lines):
        url = lines.get(timeout=DEADLINE).split(" on ", 1)[1].split()[0]
        done = cli(
            "run", "--target", url, "--api-key", "ssrf-key", "--only", "LISTEN",
            "--report-dir", str(tmp_path),
        )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads((tmp_path / "report.json").read_text())
    verdicts = {r["id"]: r for r in report["requirements"]}
    skipped = verdicts.pop("LISTEN-URL-BODY")
    assert skipped["verdict"] == "skip"
    assert "private" in skipped["reason"] and "--callback-public-url" in skipped["reason"]
    assert {r["verdict"] for r in verdicts.values()} == {"pass"}
