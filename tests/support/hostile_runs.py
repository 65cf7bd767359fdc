"""Runs of the suite's CLI against hostile targets, and what their reports say, for the tests."""

from __future__ import annotations

import io
import json
import subprocess
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console
from runner import RUN_TIMING, cli, reference

from conformance import api
from conformance.cli.commands import EXIT_BY_OUTCOME, EXIT_HARNESS, config_of, outputs
from conformance.cli.parser import run_flags
from conformance.report import failures
from conformance.run import loop
from conformance.run.verdicts import BROKEN
from conformance.timing import TEARDOWN

KEY = "hostile-key"
"""The API key of the reference servers behind the hostile proxies."""
IDLE = 2.0
"""The stream idle timeout of those reference servers, which every run against them declares:
half the embedded 4 s (the idle and KeepAlive checks wait it out, 1.5 times, in each STREAM
run), yet longer than any pause the streams of a run make (KeepAlive comes every third of it)."""
STREAMS_AT_ONCE = 2
"""Runs with the STREAM area made at a time: each opens some forty streams, which the one
reference behind the proxies transcribes in a burst; more at once and a loaded machine misses
the 3 s deadlines of an upgrade or a message, or idles a stream out."""
BOUND = 50.0
"""Seconds a whole run against a hostile target may take (the waits it meets are 6 s at most);
the runs take 2-10 s on an idle machine, the rest is room for a loaded one."""


@dataclass
class Judged:
    """One finished run: the process, how long it took, its report's requirements by ID, and
    the whole report."""

    done: subprocess.CompletedProcess[str]
    elapsed: float
    requirements: dict[str, dict[str, Any]]
    report: dict[str, Any]

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
def upstream_reference(idle: float = IDLE) -> Iterator[str]:
    """The reference server behind a module's hostile proxies (a process of its own: its
    streams keep their pace whatever the test process is doing), idling streams out after
    `idle` seconds; yields its URL."""
    with reference("--stream-idle-timeout", str(idle), api_key=KEY) as url:
        yield url


@dataclass
class Ran:
    """A finished run against a hostile target, not yet judged."""

    report_dir: Path
    done: subprocess.CompletedProcess[str]
    elapsed: float


def _flags(report_dir: Path, args: Sequence[str]) -> list[str]:
    """`conformance run` with the run's own flags after the reference's idle timeout, then the
    key and the report folder."""
    return [
        "run", "--stream-idle-timeout", str(IDLE), *args, "--api-key", KEY,
        "--report-dir", str(report_dir),
    ]  # fmt: skip


def run_alone(report_dir: Path, *args: str) -> Ran:
    """`conformance run` with these flags (and the key), in this process (see test_cli.cli)."""
    began = time.monotonic()
    done = cli(*_flags(report_dir, args))
    return Ran(report_dir, done, time.monotonic() - began)


def run_hostile(report_dir: Path, *args: str) -> Judged:
    """run_alone, judged: in bounded time, with a failing exit."""
    return judge(run_alone(report_dir, *args))


async def _run_beside(report_dir: Path, args: Sequence[str]) -> Ran:
    """One of several runs made at once: what `conformance run` does (the same outputs, the
    same exit code) with its console kept apart from the others'."""
    flags = _flags(report_dir, args)
    parsed = run_flags([*RUN_TIMING, *flags[1:]])
    console = io.StringIO()
    began = time.monotonic()
    try:
        config = config_of(parsed)
        wanted = outputs(parsed, config, Console(file=console, highlight=False))
        finished = await api.run(config, wanted)
    except Exception as exc:  # one run's end (an unreachable target, say) fails its test alone
        stderr = f"conformance: {type(exc).__name__}: {exc}\n"
        done = subprocess.CompletedProcess(flags, EXIT_HARNESS, console.getvalue(), stderr)
        return Ran(report_dir, done, time.monotonic() - began)
    elapsed = time.monotonic() - began
    problems = failures(wanted)
    code = EXIT_HARNESS if problems else EXIT_BY_OUTCOME[finished.outcome]
    stderr = "".join(f"conformance: {problem}\n" for problem in problems)
    return Ran(
        report_dir, subprocess.CompletedProcess(flags, code, console.getvalue(), stderr), elapsed
    )


def run_together(
    runs: Mapping[str, tuple[Path, Sequence[str]]], at_once: int | None = None
) -> dict[str, Ran]:
    """Several runs, `at_once` of them at a time (default all), in this process: each waits
    mostly on its target's timers, so together they take about as long as the longest. Each has
    a thread and an event loop of its own, so that a run busy with its own work (its reports, at
    its end) never holds up another's streams."""
    with ThreadPoolExecutor(at_once or len(runs)) as threads:
        started = {
            name: threads.submit(loop.run, _run_beside(folder, args), TEARDOWN)
            for name, (folder, args) in runs.items()
        }
        return {name: future.result() for name, future in started.items()}


def take(shared: dict[str, Ran], name: str, alone: Callable[[], Ran]) -> Ran:
    """The module's shared run of `name` the first time it is asked for; after that (a rerun
    of a test that failed) a run of its own, alone."""
    ran = shared.pop(name, None)
    return alone() if ran is None else ran


def judge(ran: Ran) -> Judged:
    """A run's report, after checking it ended in bounded time with exit code 1 and readable
    one-line reasons, and that its stream replays compile."""
    done = ran.done
    output = done.stdout + done.stderr
    assert done.returncode == 1, output
    assert "Traceback" not in output, output
    assert ran.elapsed < BOUND, f"the run took {ran.elapsed:.0f} s"
    report = json.loads((ran.report_dir / "report.json").read_text())
    judged = Judged(done, ran.elapsed, {r["id"]: r for r in report["requirements"]}, report)
    for requirement_id in judged.broken() | judged.with_verdict("skip"):
        judged.reason(requirement_id)
    for requirement_id in judged.broken():
        for case in judged.requirements[requirement_id]["cases"]:
            script = case.get("reproducer") or ""
            if script.startswith("# pip install"):  # a stream's Python replay: it must run
                compile(script, f"{requirement_id} reproducer", "exec")
    return judged
