"""The suite's own trust: `conformance selftest`, and identical verdicts run after run."""

from __future__ import annotations

from conftest import reference_run
from test_cli import _run_cli


def test_selftest_reports_declared_rows_and_exits_0() -> None:
    done = _run_cli("selftest", "--fault", "wrong-sha256", "--fault", "token-scheme-rejected")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "2 of 2 rows as declared" in done.stdout
    assert "LISTEN-SHA256" in done.stdout and "AUTH-TOKEN" in done.stdout


def test_selftest_refuses_an_unknown_fault() -> None:
    done = _run_cli("selftest", "--fault", "no-such-fault")
    assert done.returncode == 2
    assert "no requirement declares fault no-such-fault" in done.stderr


def test_three_default_runs_give_identical_verdicts() -> None:
    runs = [reference_run() for _ in range(3)]
    verdicts = [{r.requirement.id: r.verdict for r in run.requirements} for run in runs]
    varied = {
        r.requirement.id: [
            f"{run.requirements[i].verdict.value}: {run.requirements[i].reason}" for run in runs
        ]
        for i, r in enumerate(runs[0].requirements)
        if len({v[r.requirement.id] for v in verdicts}) > 1
    }
    assert not varied, varied
