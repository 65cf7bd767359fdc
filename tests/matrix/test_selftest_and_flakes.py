"""The suite's own trust: `conformance selftest`, and identical verdicts run after run."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

from runner import run_cli

from conformance import api
from conformance.run import loop
from conformance.run.config import RunConfig
from conformance.run.events import RunFinished
from conformance.run.profile import EMPTY
from conformance.timing import TEARDOWN


def test_selftest_reports_declared_rows_and_exits_0() -> None:
    done = run_cli("selftest", "--fault", "wrong-sha256", "--fault", "token-scheme-rejected")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "2 of 2 rows as declared" in done.stdout
    assert "LISTEN-SHA256" in done.stdout and "AUTH-TOKEN" in done.stdout


def test_selftest_refuses_an_unknown_fault() -> None:
    done = run_cli("selftest", "--fault", "no-such-fault")
    assert done.returncode == 2
    assert "no requirement declares fault no-such-fault" in done.stderr


async def _three_runs(reports: Path) -> list[RunFinished]:
    """Three default runs at once against one reference server, which keeps what each run
    leaves (request logs, keys), as a shared target would."""

    def plan(n: int) -> RunConfig:
        return RunConfig.resolve({"report_dir": reports / str(n)}, EMPTY, {})

    async with api.reference_for(plan(0)) as server:
        return list(await asyncio.gather(*(api.run_against(plan(n), server) for n in range(3))))


def test_three_default_runs_give_identical_verdicts(tmp_path: Path) -> None:
    runs = loop.run(_three_runs(tmp_path), TEARDOWN)
    verdicts = [{r.requirement.id: r.verdict for r in run.requirements} for run in runs]
    varied = {
        r.requirement.id: [
            f"{run.requirements[i].verdict.value}: {run.requirements[i].reason}" for run in runs
        ]
        for i, r in enumerate(runs[0].requirements)
        if len({v[r.requirement.id] for v in verdicts}) > 1
    }
    assert not varied, varied


def test_selftest_ignores_the_working_directorys_profile(tmp_path: Path) -> None:
    """A [tool.conformance] target in ./pyproject.toml (a production server, say) never gets the
    matrix's faulted runs: selftest judges its own embedded reference (issue 17's bug: exit 4)."""
    (tmp_path / "pyproject.toml").write_text('[tool.conformance]\ntarget = "http://127.0.0.1:9"\n')
    done = subprocess.run(
        [sys.executable, "-m", "conformance", "selftest", "--fault", "wrong-sha256"],
        capture_output=True,
        text=True,
        timeout=180,
        cwd=tmp_path,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 of 1 rows as declared" in done.stdout
