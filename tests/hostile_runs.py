"""Runs of the suite's CLI against hostile targets, and what their reports say, for the tests."""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from test_cli import cli, reference

KEY = "hostile-key"
"""The API key of the reference servers behind the hostile proxies."""
IDLE = 2.0
"""The stream idle timeout of those reference servers, which every run against them declares:
half the embedded 4 s (the idle and KeepAlive checks wait it out, 1.5 times, in each STREAM
run), yet longer than any pause the streams of a run make (KeepAlive comes every third of it)."""
BOUND = 50.0
"""Seconds a whole run against a hostile target may take (the waits it meets are 12 s at most);
the runs take 2-10 s on an idle machine, the rest is room for a loaded one."""
BROKEN = {"fail", "timeout", "error"}


@dataclass
class Judged:
    """One finished run: the process, how long it took, and its report's requirements by ID."""

    done: subprocess.CompletedProcess[str]
    elapsed: float
    requirements: dict[str, dict[str, Any]]

    def verdict(self, requirement_id: str) -> str:
        """The verdict of one requirement."""
        return str(self.requirements[requirement_id]["verdict"])

    def reason(self, requirement_id: str) -> str:
        """The reason of one requirement, checked to be one readable line."""
        reason = str(self.requirements[requirement_id]["reason"])
        assert reason and "\n" not in reason and len(reason) < 1200, reason
        assert "Traceback" not in reason and "harness error" not in reason, reason
        return reason

    def broken(self) -> set[str]:
        """The requirements that failed, timed out or errored."""
        return {i for i, r in self.requirements.items() if r["verdict"] in BROKEN}

    def with_verdict(self, verdict: str) -> set[str]:
        """The requirements with this verdict."""
        return {i for i, r in self.requirements.items() if r["verdict"] == verdict}


@contextmanager
def upstream_reference() -> Iterator[str]:
    """The reference server behind a module's hostile proxies (a process of its own: its
    streams keep their pace whatever the test process is doing); yields its URL."""
    with reference("--stream-idle-timeout", str(IDLE), api_key=KEY) as url:
        yield url


def run_hostile(report_dir: Path, *args: str) -> Judged:
    """`conformance run` with these flags (and the key), in bounded time, with a failing exit;
    in this process (see test_cli.cli)."""
    began = time.monotonic()
    done = cli(
        "run", "--stream-idle-timeout", str(IDLE), *args, "--api-key", KEY,
        "--report-dir", str(report_dir),
    )  # fmt: skip
    elapsed = time.monotonic() - began
    output = done.stdout + done.stderr
    assert done.returncode == 1, output
    assert "Traceback" not in output, output
    assert elapsed < BOUND, f"the run took {elapsed:.0f} s"
    report = json.loads((report_dir / "report.json").read_text())
    judged = Judged(done, elapsed, {r["id"]: r for r in report["requirements"]})
    for requirement_id in judged.broken() | judged.with_verdict("skip"):
        judged.reason(requirement_id)
    for requirement_id in judged.broken():
        for case in judged.requirements[requirement_id]["cases"]:
            script = case.get("reproducer") or ""
            if script.startswith("# pip install"):  # a stream's Python replay: it must run
                compile(script, f"{requirement_id} reproducer", "exec")
    return judged
