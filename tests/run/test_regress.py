"""Regression tools: diff of two reports, baselines, known-failing waivers, offline validation."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import REPO, reference_run
from runner import cli, served

from conformance.cli.commands import main
from conformance.contract import catalogue
from conformance.contract.docs import catalogue_markdown
from conformance.errors import UsageError
from conformance.run import regress
from conformance.run.verdicts import Outcome, Verdict


def _report(tmp_path: Path, name: str, verdicts: dict[str, tuple[str, str]]) -> Path:
    entries = [
        {
            "id": i,
            "level": "MUST",
            "area": i.split("-")[0],
            "verdict": v,
            "reason": r,
            "gated": True,
            "summary": "s",
            "source": "x.txt",
            "quote": "q",
            "cases": [
                {
                    "name": "c",
                    "verdict": v,
                    "reason": r,
                    "duration": 0.1,
                    "evidence": {"exchanges": [], "notes": []},
                }
            ],
        }
        for i, (v, r) in verdicts.items()
    ]
    document = {
        "report_version": 1,
        "tool": {"name": "conformance", "version": "0"},
        "target": "t",
        "config": {},
        "started": "2026-01-01T00:00:00+00:00",
        "finished": "2026-01-01T00:00:01+00:00",
        "duration": 1.0,
        "outcome": "passed",
        "summary": {"total": 0, "passed": 0, "failed": 0, "skipped": 0, "errors": 0, "timeouts": 0},
        "requirements": entries,
    }
    path = tmp_path / name
    path.write_text(json.dumps(document))
    return path


def test_diff_classifies_every_change(tmp_path: Path) -> None:
    old = _report(
        tmp_path,
        "old.json",
        {
            "A-1": ("pass", ""),
            "A-2": ("fail", "x"),
            "A-3": ("fail", "x"),
            "A-4": ("skip", "n/a"),
            "A-5": ("pass", ""),
        },
    )
    new = _report(
        tmp_path,
        "new.json",
        {
            "A-1": ("fail", "broke"),
            "A-2": ("pass", ""),
            "A-3": ("fail", "y"),
            "A-4": ("timeout", "slow"),
            "A-6": ("pass", ""),
        },
    )
    result = regress.diff(regress.load_report(old), regress.load_report(new))
    assert [i for i, _, _ in result.newly_failing] == ["A-1", "A-4"]
    assert result.newly_passing == [("A-2", "fail")]
    assert result.changed == [("A-3", "x", "y")]
    assert result.added == ["A-6"] and result.removed == ["A-5"]
    assert main(["diff", str(old), str(new)]) == 1
    assert main(["diff", str(new), str(new)]) == 0


def test_diff_of_a_file_that_is_not_a_report_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bogus = tmp_path / "bogus.json"
    bogus.write_text('{"hello": 1}')
    assert main(["diff", str(bogus), str(bogus)]) == 2
    assert "not a conformance report" in capsys.readouterr().err


def test_waiver_file_rules(tmp_path: Path) -> None:
    good = tmp_path / "good.txt"
    good.write_text("# vendor bugs\nLISTEN-SHA256  hashes the header, ticket 42\n\n")
    assert regress.waivers(good, catalogue.load()) == {
        "LISTEN-SHA256": "hashes the header, ticket 42"
    }
    for text, message in (
        ("LISTEN-NOPE why\n", "unknown requirement"),
        ("LISTEN-SHA256\n", "needs a reason"),
    ):
        bad = tmp_path / "bad.txt"
        bad.write_text(text)
        with pytest.raises(UsageError, match=message):
            regress.waivers(bad, catalogue.load())


LISTEN = frozenset({"LISTEN"})
"""The area of the waived requirements: the runs of the waiver test need no other."""


def test_waived_failure_does_not_gate_and_stale_waiver_fails_the_run() -> None:
    waived = reference_run(["wrong-sha256"], waivers={"LISTEN-SHA256": "ticket 42"}, areas=LISTEN)
    assert waived.outcome is Outcome.PASSED
    sha = next(r for r in waived.requirements if r.requirement.id == "LISTEN-SHA256")
    assert sha.verdict is Verdict.FAIL and not sha.gated and "ticket 42" in (sha.ungated_why or "")
    stale = reference_run(waivers={"LISTEN-CHANNELS": "fixed long ago"}, areas=LISTEN)
    assert stale.outcome is Outcome.FAILED
    assert [r.requirement.id for r in stale.requirements if r.stale_waiver] == ["LISTEN-CHANNELS"]


def test_baseline_gates_only_what_passed_before(tmp_path: Path) -> None:
    with served("wrong-sha256", api_key="base-key") as url:
        common = ["--target", url, "--api-key", "base-key", "--only", "LISTEN"]
        first = cli("run", *common, "--report-dir", str(tmp_path / "a"))
        assert first.returncode == 1
        again = cli(
            "run",
            *common,
            "--report-dir",
            str(tmp_path / "b"),
            "--baseline",
            str(tmp_path / "a" / "report.json"),
        )
    assert again.returncode == 0, again.stdout
    assert "did not pass in the baseline" in again.stdout


def test_validate_reports_valid_and_invalid_files(tmp_path: Path) -> None:
    listen = tmp_path / "listen.json"
    listen.write_text(json.dumps({"metadata": {}, "results": {"channels": []}}))
    error = tmp_path / "error.json"
    error.write_text(json.dumps({"err_code": "Bad Request", "err_msg": "no", "request_id": "r"}))
    done = cli("validate", str(error))
    assert done.returncode == 0 and "valid error" in done.stdout
    done = cli("validate", "--kind", "listen", str(listen))
    assert done.returncode == 1 and "INVALID as listen" in done.stdout
    assert "metadata" in done.stdout


def test_docs_requirements_md_is_up_to_date() -> None:
    committed = (REPO / "docs" / "requirements.md").read_text(encoding="utf-8")
    assert committed == catalogue_markdown(catalogue.load()), (
        "docs/requirements.md is stale: run `conformance requirements --markdown > "
        "docs/requirements.md`"
    )
