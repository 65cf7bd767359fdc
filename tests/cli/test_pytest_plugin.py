"""The pytest plugin turns verdicts into pytest outcomes, one item per requirement, and ends as
the CLI ends: the same exit codes, one line for an error, only the selected requirements run."""

from __future__ import annotations

import json
import re
import socket
from pathlib import Path

import pytest
from runner import RUN_TIMING, served

from conformance import pytest_plugin
from conformance.contract import catalogue
from conformance.report import Isolated

pytest_plugins = ["pytester"]


def _reported(*ids: str) -> set[str]:
    """What a run of these requirements reports: they and their prerequisites."""
    return catalogue.prerequisite_closure(catalogue.load(), set(ids))


def _auth() -> set[str]:
    return _reported(*(r.id for r in catalogue.load().requirements if r.area == "AUTH"))


def _one_error_line(result: pytest.RunResult, text: str) -> None:
    """The error is told once, in one line, and no item ran or failed for it."""
    output = result.stdout.lines + result.stderr.lines
    assert [line for line in output if text in line] != [], output
    assert len([line for line in output if "conformance:" in line]) == 1, output
    assert not any("INTERNALERROR" in line or "Traceback" in line for line in output), output
    assert not any(re.search(r"\d failed", line) for line in output), output


def test_plugin_is_inert_without_its_option(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_x():\n    pass\n")
    result = pytester.runpytest_inprocess("-p", "conformance")
    result.assert_outcomes(passed=1)


def test_plugin_passes_each_requirement_on_the_reference(
    pytester: pytest.Pytester, tmp_path: Path
) -> None:
    result = pytester.runpytest_inprocess(
        "-p", "conformance", f"--conformance=--only AUTH --report-dir {tmp_path}"
    )
    result.assert_outcomes(passed=len(_auth()))  # AUTH and the prerequisites it runs
    assert result.ret == 0
    result.stdout.fnmatch_lines(["*= conformance =*", "PASSED in *", f"report: {tmp_path}*"])


def test_plugin_fails_the_broken_requirement_by_id(
    pytester: pytest.Pytester, tmp_path: Path
) -> None:
    with served("wrong-sha256", api_key="plugin-key") as url:
        result = pytester.runpytest_inprocess(
            "-p",
            "conformance",
            f"--conformance=--target {url} --api-key plugin-key --report-dir {tmp_path} "
            "--only LISTEN " + " ".join(RUN_TIMING),
        )
    total = len([r for r in catalogue.load().requirements if r.area == "LISTEN"])
    outcomes = result.parseoutcomes()
    assert outcomes["failed"] == 1
    assert outcomes["passed"] + outcomes.get("skipped", 0) == total - 1  # skips say why
    result.stdout.fnmatch_lines(["*LISTEN-SHA256 MUST fail: mono: metadata.sha256*"])
    assert result.ret == 1


def test_a_stale_waiver_fails_as_the_cli_fails(pytester: pytest.Pytester, tmp_path: Path) -> None:
    waivers = tmp_path / "waivers.txt"
    waivers.write_text("AUTH-TOKEN fixed in 2.1 # see bug 12\n")
    result = pytester.runpytest_inprocess(
        "-p",
        "conformance",
        f"--conformance=--only AUTH --known-failing {waivers} --report-dir {tmp_path}",
    )
    result.assert_outcomes(passed=len(_auth()) - 1, failed=1)
    assert result.ret == 1
    waiver = f"{waivers}:1: AUTH-TOKEN fixed in 2.1 # see bug 12"
    result.stdout.fnmatch_lines([f"stale waiver: AUTH-TOKEN passes now;*({waiver})"])


@pytest.mark.parametrize(
    ("flags", "line"),
    [
        ("--bogus", "conformance: --conformance: error: unrecognized arguments: --bogus"),
        ("--only 'AUTH", "conformance: --conformance: No closing quotation"),
        ("--target ftp://x --api-key k", "conformance: --target must be an http:// or https://"),
    ],
)
def test_a_bad_flag_or_url_is_one_line_and_exit_2(
    pytester: pytest.Pytester, flags: str, line: str
) -> None:
    result = pytester.runpytest_subprocess("-p", "conformance", f"--conformance={flags}")
    assert result.ret == 2  # (in a second process: pytester's in-process run needs configure)
    _one_error_line(result, line)


def test_an_unreachable_target_is_one_line_and_exit_4(pytester: pytest.Pytester) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed again before the run: nothing listens there
    result = pytester.runpytest_subprocess(  # in-process runs re-import httpcore, not httpx
        "-p", "conformance", f"--conformance=--target http://127.0.0.1:{port} --api-key k"
    )
    assert result.ret == 4
    _one_error_line(result, f"target http://127.0.0.1:{port} is unreachable")


def test_a_report_not_written_is_exit_3(
    pytester: pytest.Pytester, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    class Broken:
        def handle(self, event: object) -> None:
            raise OSError("disk full")

    real = pytest_plugin.outputs
    monkeypatch.setattr(
        pytest_plugin,
        "outputs",
        lambda *a: [*real(*a), Isolated("broken.xml", Broken())],
    )
    result = pytester.runpytest_inprocess(
        "-p", "conformance", f"--conformance=--only AUTH --report-dir {tmp_path}"
    )
    result.assert_outcomes(passed=len(_auth()))
    assert result.ret == 3
    result.stdout.fnmatch_lines(["conformance: broken.xml not written: OSError: disk full"])


def test_k_chooses_the_requirements_that_run(pytester: pytest.Pytester, tmp_path: Path) -> None:
    result = pytester.runpytest_inprocess(
        "-p",
        "conformance",
        f"--conformance=--report-dir {tmp_path}",
        "-k",
        "AUTH-TOKEN or LISTEN-SHA256",
    )
    result.assert_outcomes(passed=2)
    assert result.ret == 0
    report = json.loads((tmp_path / "report.json").read_text())
    ran = {r["id"] for r in report["requirements"]}
    assert ran == _reported("AUTH-TOKEN", "LISTEN-SHA256")  # their prerequisites too, no more


def test_a_checkouts_own_tests_are_not_collected_unless_named(
    pytester: pytest.Pytester, tmp_path: Path
) -> None:
    pytester.makeini("[pytest]\ntestpaths = tests\n")
    pytester.mkdir("tests")
    pytester.makepyfile(**{"tests/test_own": "def test_own():\n    assert False\n"})
    flags = f"--conformance=--only AUTH --report-dir {tmp_path}"
    alone = pytester.runpytest_inprocess("-p", "conformance", flags)
    alone.assert_outcomes(passed=len(_auth()))
    named = pytester.runpytest_inprocess("-p", "conformance", flags, "tests")
    named.assert_outcomes(passed=len(_auth()), failed=1)
