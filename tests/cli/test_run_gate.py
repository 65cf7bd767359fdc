"""`conformance run` as a CI gate (issue 18): it says what it proved and fails a declared
capability it could not verify; output paths and bad values are refused before the run; an
interrupted run still writes what it judged; the habits of CI tools (--requirement, --exitfirst,
--header)."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from runner import RUN_TIMING, cli, run_cli, served

from conformance.contract import shapes
from conformance.wire.redact import REDACTED


def _report(folder: Path) -> dict[str, object]:
    report: dict[str, object] = json.loads((folder / "report.json").read_text())
    assert shapes.problems("report", report) == []
    return report


def test_a_declared_capability_left_unverified_fails_the_gate_unless_allowed(
    tmp_path: Path,
) -> None:
    with served(api_key="gate-key", private=False) as url:  # refuses the receiver's address
        base = ["run", "--target", url, "--api-key", "gate-key", "--only", "CALLBACK"]
        gated = cli(*base, "--report-dir", str(tmp_path / "a"))
        allowed = cli(*base, "--report-dir", str(tmp_path / "b"), "--allow-unverified", "callbacks")
    assert gated.returncode == 1, gated.stderr
    lines = gated.stdout.splitlines()
    assert any(
        line.startswith("NOT VERIFIED CALLBACK: ")
        and line.endswith("the target cannot reach the receiver; give --callback-public-url")
        for line in lines
    )
    [last] = [line for line in lines if line.startswith("FAILED in ")]
    assert "declared but not verified: callbacks" in last
    verification = _report(tmp_path / "a")["verification"]
    assert isinstance(verification, dict)
    [capability] = verification["declared_not_verified"]
    assert capability["capability"] == "callbacks" and not capability["allowed"]
    assert allowed.returncode == 0, allowed.stdout[-2000:]
    assert "allowed by --allow-unverified" in allowed.stdout


def test_the_embedded_run_says_everything_was_verified(tmp_path: Path) -> None:
    done = cli("run", "--only", "AUTH", "--report-dir", str(tmp_path))
    assert done.returncode == 0, done.stderr
    [last] = [line for line in done.stdout.splitlines() if line.startswith("PASSED in ")]
    assert last.endswith("requirements verified")
    assert "NOT VERIFIED" not in done.stdout


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--junit", "{blocker}/x.xml"], "--junit {blocker}/x.xml cannot be written: "),
        (["--markdown", "{tmp}"], "--markdown {tmp} cannot be written: it is a folder"),
        (["--report-dir", "{blocker}"], "--report-dir {blocker} cannot be written: it is a file"),
        (["--events", "{blocker}/e/events.ndjson"], "cannot be written: "),
        (["--examples", "0"], "argument --examples: must be 1 or more, not 0"),
        (["--rate-limit", "fast"], "argument --rate-limit: must be N/s"),
        (["--header", "no colon"], "argument --header: must be 'NAME: VALUE'"),
        (["--allow-unverified", "everything"], "unknown area or capability 'everything'"),
    ],
)
def test_bad_outputs_and_values_are_refused_before_the_run(
    tmp_path: Path, flags: list[str], message: str
) -> None:
    blocker = tmp_path / "blocker"
    blocker.write_text("a file where a folder is needed")
    fill = {"blocker": str(blocker), "tmp": str(tmp_path)}
    began = time.monotonic()
    done = run_cli("run", *(f.format(**fill) for f in flags), timeout=60)
    assert done.returncode == 2
    assert message.format(**fill) in done.stderr and done.stderr.count("\n") == 1
    assert done.stdout == "" and time.monotonic() - began < 20, "refused before the run"


def test_serve_and_coverage_say_what_is_wrong_in_one_line(tmp_path: Path) -> None:
    serve = run_cli("serve", "--bogus", timeout=60)
    assert serve.returncode == 2
    assert serve.stderr == (
        "conformance serve: error: unrecognized arguments: --bogus (see conformance serve --help)\n"
    )
    missing = tmp_path / "openapi.yml"
    coverage = cli("coverage", str(missing))
    assert coverage.returncode == 2 and coverage.stderr.count("\n") == 1
    assert f"cannot be read at {missing}" in coverage.stderr


def test_one_requirement_runs_with_its_prerequisites_and_extra_headers_are_sent(
    tmp_path: Path,
) -> None:
    with served(api_key="req-key") as url:
        done = cli(
            "run", "--target", url, "--api-key", "req-key", "--requirement", "AUTH-MISSING",
            "--header", "X-Gateway: blue", "--header", "X-Api-Key: gateway-secret-77",
            "--report-dir", str(tmp_path),
        )  # fmt: skip
    assert done.returncode == 0, done.stdout[-2000:]
    report = _report(tmp_path)
    entries = report["requirements"]
    assert isinstance(entries, list)
    ids = {e["id"] for e in entries}
    assert "AUTH-MISSING" in ids and ids <= {"AUTH-MISSING", *entries[0]["prerequisites"]} | {
        p for e in entries for p in e["prerequisites"]
    }
    assert len(ids) < 5, ids
    headers = [
        x["request"]["headers"]
        for e in entries
        for c in e["cases"]
        for x in c["evidence"]["exchanges"]
    ]
    assert headers and all(h.get("X-Gateway") == "blue" for h in headers)
    assert all(h.get("X-Api-Key") == REDACTED for h in headers)
    assert "gateway-secret-77" not in (tmp_path / "report.json").read_text() + done.stdout


def test_exitfirst_stops_at_the_first_gated_failure(tmp_path: Path) -> None:
    with served("wrong-sha256", api_key="x-key") as url:
        done = cli(
            "run", "--target", url, "--api-key", "x-key", "--only", "LISTEN", "--only",
            "CALLBACK", "--exitfirst", "--report-dir", str(tmp_path),
        )  # fmt: skip
    assert done.returncode == 1
    entries = _report(tmp_path)["requirements"]
    assert isinstance(entries, list)
    stopped = [e["id"] for e in entries if "--exitfirst stopped the run" in e["reason"]]
    assert "CALLBACK-RETRY-LIMIT" in stopped, "the retry schedule outlasts the failure"
    assert all(e["verdict"] == "skip" for e in entries if e["id"] in stopped)


def test_sigterm_writes_what_was_judged_marked_interrupted(tmp_path: Path) -> None:
    events = tmp_path / "events.ndjson"
    with served(api_key="term-key") as url:
        process = subprocess.Popen(
            [
                sys.executable, "-m", "conformance", "run", *RUN_TIMING, "--retry-delay", "3",
                "--target", url, "--api-key", "term-key", "--only", "CALLBACK",
                "--report-dir", str(tmp_path), "--events", str(events), "--junit",
                str(tmp_path / "junit.xml"),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            text = events.read_text() if events.exists() else ""
            if text.count('"case_finished"') >= 3:
                break
            time.sleep(0.1)
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=60)
    assert process.returncode == 143, err
    assert "interrupted by SIGTERM" in err
    report = _report(tmp_path)
    assert report["interrupted"] is True
    assert report["requirements"], "what was judged before the stop is kept"
    assert any(line.startswith("INTERRUPTED in ") for line in out.splitlines()), out[-2000:]
    assert "interrupted" in (tmp_path / "junit.xml").read_text()
