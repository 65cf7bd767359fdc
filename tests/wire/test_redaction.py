"""Secrets never reach any output: report, stdout, stderr."""

from __future__ import annotations

import base64
import json
from pathlib import Path

from hostile_runs import IDLE
from runner import reference, run_cli

from conformance.wire.redact import REDACTED, Redactor

CANARY_KEY = "canary-key-7f3a9c1e5b"
CANARY_PASSWORD = "canary-pw-41d2"
CALLBACK_HOST = "127.0.0.77"
"""A loopback address of this test's own, so the receiver gets 8080 there and the password-bearing
public URL really reaches it (deliveries arrive instead of being waited for until the deadline)."""


def test_canaries_appear_in_no_output(tmp_path: Path) -> None:
    faults = ["--fault", "errors-as-text", "--fault", "wrong-sha256", "--fault", "no-auth"]
    idle = ["--stream-idle-timeout", str(IDLE)]  # the STREAM idle checks wait it out
    with reference(*faults, *idle, api_key=CANARY_KEY) as url:
        done = run_cli(  # a process of its own: everything it prints is an output
            "run",
            "--target",
            url,
            "--api-key",
            CANARY_KEY,
            "--callback-host",
            CALLBACK_HOST,
            "--callback-public-url",
            f"http://user:{CANARY_PASSWORD}@{CALLBACK_HOST}:8080",
            *idle,
            "--report-dir",
            str(tmp_path),
            "--junit",
            str(tmp_path / "junit.xml"),
            "--markdown",
            str(tmp_path / "summary.md"),
            "--events",
            str(tmp_path / "events.ndjson"),
            env={"GITHUB_STEP_SUMMARY": str(tmp_path / "step-summary.md")},
        )
    assert done.returncode == 1, done.stderr  # the faults make it fail, so evidence is written
    outputs = [
        done.stdout,
        done.stderr,
        *(p.read_text() for p in tmp_path.rglob("*") if p.is_file()),
    ]
    written = {p.name for p in tmp_path.rglob("*")}
    assert {
        "report.json",
        "report.html",
        "junit.xml",
        "summary.md",
        "events.ndjson",
        "step-summary.md",
    } <= written
    forms = [CANARY_KEY, CANARY_PASSWORD, base64.b64encode(CANARY_KEY.encode()).decode()]
    for output in outputs:
        for form in forms:
            assert form not in output
    report = json.loads((tmp_path / "report.json").read_text())
    assert REDACTED in json.dumps(report)


def test_redactor_covers_encodings_and_url_passwords() -> None:
    redactor = Redactor(["s3cret-value"])
    assert "s3cret" not in redactor.text(
        "key=s3cret-value&b64=" + base64.b64encode(b"s3cret-value").decode()
    )
    assert (
        redactor.text("http://bob:hunter2@example.com/x") == f"http://bob:{REDACTED}@example.com/x"
    )
    assert redactor.header("Authorization", "Token abc") == f"Token {REDACTED}"
    assert redactor.header("Sec-WebSocket-Protocol", "token, abc") == f"token, {REDACTED}"


def test_a_subprotocol_list_hides_only_what_follows_its_scheme() -> None:
    redactor = Redactor(["s3cret-value"])
    assert redactor.header("sec-websocket-protocol", "token") == "token"  # a server's choice
    assert redactor.header("Sec-WebSocket-Protocol", "token, abc") == f"token, {REDACTED}"
    assert redactor.header("Sec-WebSocket-Protocol", "bearer,jwt.a.b") == f"bearer, {REDACTED}"
    assert redactor.header("Sec-WebSocket-Protocol", "s3cret-value") == REDACTED
    assert redactor.header("Authorization", "Token") == REDACTED
