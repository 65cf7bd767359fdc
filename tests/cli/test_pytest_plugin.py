"""The pytest plugin turns verdicts into pytest outcomes, one item per requirement."""

from __future__ import annotations

from pathlib import Path

import pytest
from runner import RUN_TIMING, served

from conformance.contract import catalogue

pytest_plugins = ["pytester"]


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
    auth = [r for r in catalogue.load().requirements if r.area == "AUTH"]
    result.assert_outcomes(passed=len(auth))


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
