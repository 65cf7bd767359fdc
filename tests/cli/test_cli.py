"""The command line as users and CI scripts meet it: exit codes, one-line errors, reports."""

from __future__ import annotations

import io
import json
import re
import socket
from dataclasses import replace
from pathlib import Path

import pytest
from rich.console import Console
from runner import cli, raw_server, run_cli, served

from conformance.cases import REGISTRY
from conformance.cases.kit.context import CaseContext
from conformance.cli.commands import main, requirements_command
from conformance.contract import catalogue, shapes


def test_bad_flag_is_one_line_and_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["run", "--retry-count", "-3"])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--retry-count" in err


def test_unknown_area_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["run", "--only", "PODCAST"])
    assert exited.value.code == 2
    assert "unknown area" in capsys.readouterr().err


def test_target_without_key_is_a_usage_error(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DEEPGRAM_API_KEY", raising=False)
    assert main(["run", "--target", "http://127.0.0.1:9"]) == 2
    assert "API key" in capsys.readouterr().err


def test_malformed_target_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "--target", "ftp://x", "--api-key", "k"]) == 2
    assert "--target" in capsys.readouterr().err


def test_unreachable_target_exits_4_in_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # bound, never listening: connections are refused
        code = main(["run", "--target", f"http://127.0.0.1:{port}", "--api-key", "k"])
    err = capsys.readouterr().err
    assert code == 4
    assert err.count("\n") == 1 and "unreachable" in err


def test_hanging_target_exits_4_within_its_deadline(capsys: pytest.CaptureFixture[str]) -> None:
    with raw_server(None) as url:
        code = main(["run", "--target", url, "--api-key", "k", "--time-scale", "0.05"])
    assert code == 4
    assert "did not answer within 0.5 s" in capsys.readouterr().err


def test_garbage_speaking_target_exits_4(capsys: pytest.CaptureFixture[str]) -> None:
    with raw_server(b"\x00\x01garbage that is not HTTP\r\n\r\n") as url:
        code = main(["run", "--target", url, "--api-key", "k"])
    assert code == 4
    assert capsys.readouterr().err.count("\n") == 1


def test_embedded_run_passes_and_writes_a_valid_report(tmp_path: Path) -> None:
    done = run_cli("run", "--report-dir", str(tmp_path))
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads((tmp_path / "report.json").read_text())
    assert shapes.problems("report", report) == []
    assert report["outcome"] == "passed" and report["embedded"] is True
    total = len(catalogue.load().requirements)
    verification = report["verification"]
    assert report["summary"]["passed"] + verification["not_applicable"] == total
    assert verification["verified"] == report["summary"]["passed"]
    assert verification["not_verified"] == 0 and verification["declared_not_verified"] == []
    assert "LISTEN" in done.stdout and "AUTH" in done.stdout and "PASSED" in done.stdout


def test_failing_target_exits_1_and_reports_the_requirement(tmp_path: Path) -> None:
    with served("wrong-sha256", api_key="failing-key") as url:
        done = cli(
            "run",
            "--target",
            url,
            "--api-key",
            "failing-key",
            "--only",
            "LISTEN",  # the fault matrix proves no other area is touched; this is the CLI's part
            "--report-dir",
            str(tmp_path),
        )
    assert done.returncode == 1, done.stdout + done.stderr
    report = json.loads((tmp_path / "report.json").read_text())
    failed = [r for r in report["requirements"] if r["verdict"] == "fail"]
    assert [r["id"] for r in failed] == ["LISTEN-SHA256"]
    assert "metadata.sha256" in failed[0]["reason"]
    assert failed[0]["cases"][0]["evidence"]["exchanges"][0]["response"]["status"] == 200
    assert "FAIL LISTEN-SHA256" in done.stdout


def test_strict_makes_should_requirements_gate(tmp_path: Path) -> None:
    with served("accept-empty-body", api_key="strict-key") as url:
        common = ["--target", url, "--api-key", "strict-key", "--only", "LISTEN"]
        common += ["--report-dir", str(tmp_path)]
        assert cli("run", *common).returncode == 0
        assert cli("run", *common, "--strict").returncode == 1


def test_only_selects_areas(tmp_path: Path) -> None:
    done = cli("run", "--only", "auth", "--report-dir", str(tmp_path))
    assert done.returncode == 0, done.stderr
    report = json.loads((tmp_path / "report.json").read_text())
    others = {r["id"] for r in report["requirements"] if r["area"] != "AUTH"}
    assert {r["area"] for r in report["requirements"]} == {"AUTH", "LISTEN"}
    assert others == {"LISTEN-RAW-BODY"}, "only AUTH's prerequisites run besides AUTH"


def test_requirements_piped_is_one_whole_requirement_a_line() -> None:
    done = cli("requirements")  # stdout is no terminal, as when piped
    assert done.returncode == 0
    rows = [line.split("\t") for line in done.stdout.splitlines()]
    assert rows[0] == ["ID", "level", "area", "source", "summary"]
    assert [row[0] for row in rows[1:]] == [r.id for r in catalogue.load().requirements]
    assert {len(row) for row in rows} == {5}


def test_requirements_in_a_narrow_terminal_keeps_every_id_whole() -> None:
    out = io.StringIO()
    requirements_command(Console(file=out, force_terminal=True, color_system=None, width=80))
    for requirement in catalogue.load().requirements:
        assert re.search(rf"(?<![\w-]){re.escape(requirement.id)}(?![\w-])", out.getvalue())


def test_a_harness_error_exits_3(tmp_path: Path) -> None:
    index = next(i for i, c in enumerate(REGISTRY) if c.requirement_id == "AUTH-TOKEN")
    original = REGISTRY[index]

    async def broken(ctx: CaseContext) -> None:
        raise RuntimeError("the harness itself broke")

    REGISTRY[index] = replace(original, run=broken)  # a bug in the suite, not in the target
    try:
        code = main(["run", "--only", "AUTH", "--report-dir", str(tmp_path)])
    finally:
        REGISTRY[index] = original
    assert code == 3
    report = json.loads((tmp_path / "report.json").read_text())
    verdicts = {r["id"]: r["verdict"] for r in report["requirements"]}
    assert verdicts.pop("AUTH-TOKEN") == "error"
    assert set(verdicts.values()) == {"pass"}


def test_serve_lists_the_faults_of_the_catalogue() -> None:
    done = cli("serve", "--list-faults")
    assert done.returncode == 0
    listed = {line.split("\t")[0] for line in done.stdout.splitlines() if line}
    assert set(catalogue.load().faults()) <= listed
