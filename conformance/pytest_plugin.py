"""The suite as a pytest plugin: one test item per requirement the run reports, so pytest's own
reports (JUnit XML, -k selection, CI integrations) work on verdicts, with the CLI's outcomes.

    pytest -p conformance --conformance="--target URL --api-key KEY" --junitxml=out.xml

The option takes the flags of `conformance run`; without --target the embedded reference
server is tested. The plugin is inert unless --conformance is given. With it:
- pytest collects no test files, unless paths are named on its command line;
- `-k` (and --deselect) choose the requirements that run: those left selected, and their
  prerequisites, as `--requirement` would;
- the exit code is the CLI's: 1 when the run fails (a stale waiver and an unverified
  capability included), 2 for a bad flag, 3 for a harness error or a report not written,
  4 for an unreachable target, each of the last three told in one line.
The whole run happens once, before the first item; each item reads its verdict from it.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import shlex
import signal
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, NoReturn

import pytest
from rich.console import Console

from conformance import api
from conformance.cli.commands import check_writable, config_of, outputs
from conformance.cli.parser import (
    EXIT_BY_OUTCOME,
    EXIT_BY_SIGNAL,
    EXIT_HARNESS,
    EXIT_UNREACHABLE,
    EXIT_USAGE,
    run_flags,
)
from conformance.contract import catalogue
from conformance.errors import ConformanceError, TargetUnreachable, UsageError
from conformance.report import Isolated, ProgressDisplay, failures
from conformance.run import loop
from conformance.run.config import RunConfig
from conformance.run.events import RunFinished
from conformance.run.verdicts import RequirementResult, Verdict
from conformance.timing import TEARDOWN

SUMMARY_WIDTH = 120
"""Columns of the run's console summary, shown in pytest's terminal summary."""


@dataclass
class _Plan:
    """The run as the flags ask for it, and the requirements it reports (one item each)."""

    args: argparse.Namespace
    config: RunConfig
    reported: frozenset[str]


@dataclass
class _Done:
    """The finished run: verdicts by requirement, the console summary, unwritten reports."""

    finished: RunFinished
    results: dict[str, RequirementResult]
    summary: str
    problems: list[str]


_PLAN = pytest.StashKey[_Plan]()
_DONE = pytest.StashKey[_Done]()


def pytest_addoption(parser: pytest.Parser) -> None:
    """--conformance FLAGS turns the plugin on."""
    parser.getgroup("conformance").addoption(
        "--conformance",
        metavar="FLAGS",
        default=None,
        help="run the conformance suite as tests; FLAGS are `conformance run` flags, "
        'e.g. "--target http://host:8000 --api-key KEY --strict"',
    )


def pytest_configure(config: pytest.Config) -> None:
    """Parse and resolve the flags before collection: a bad one ends pytest in one line."""
    flags = config.getoption("conformance")
    if flags is None:
        return
    args = _parsed(flags)
    try:
        plan = config_of(args)
        check_writable(args, plan)
        contract = catalogue.load()
    except ConformanceError as exc:
        _exit(exc)
    chosen = {r.id for r in contract.requirements if plan.selects(r)}
    config.stash[_PLAN] = _Plan(
        args, plan, frozenset(catalogue.prerequisite_closure(contract, chosen))
    )


def _parsed(flags: str) -> argparse.Namespace:
    """`conformance run`'s flags, or pytest ended with argparse's one line and its exit code."""
    try:
        words = shlex.split(flags)
    except ValueError as exc:
        pytest.exit(f"conformance: --conformance: {exc}", returncode=EXIT_USAGE)
    said = io.StringIO()
    try:
        with contextlib.redirect_stderr(said), contextlib.redirect_stdout(said):
            return run_flags(words)
    except SystemExit as exc:  # argparse's error() or --help
        code = exc.code if isinstance(exc.code, int) else EXIT_USAGE
        message = said.getvalue().strip().removeprefix("conformance run: ")
        pytest.exit(f"conformance: --conformance: {message.removeprefix('conformance: ')}", code)


def _exit(error: ConformanceError | loop.Interrupted) -> NoReturn:
    """End pytest as the CLI ends on this error: one line, the CLI's exit code."""
    if isinstance(error, loop.Interrupted):
        stop = signal.Signals(error.signum)
        pytest.exit(f"conformance: interrupted by {stop.name}", EXIT_BY_SIGNAL[stop])
    code = (
        EXIT_USAGE
        if isinstance(error, UsageError)
        else EXIT_UNREACHABLE
        if isinstance(error, TargetUnreachable)
        else EXIT_HARNESS
    )
    pytest.exit(f"conformance: {error}", returncode=code)


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    """With --conformance, no test files (a checkout's own tests among them) unless named."""
    if _PLAN not in config.stash or config.args_source is pytest.Config.ArgsSource.ARGS:
        return None
    return True


@pytest.hookimpl(tryfirst=True)  # before -k deselects: it deselects requirements too
def pytest_collection_modifyitems(
    session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
) -> None:
    """One item per requirement the run reports: the selected ones and their prerequisites."""
    if _PLAN not in config.stash:
        return
    reported = config.stash[_PLAN].reported
    for requirement in catalogue.load().requirements:
        if requirement.id in reported:
            items.append(RequirementItem.from_parent(session, name=requirement.id))


@pytest.hookimpl(tryfirst=True)
def pytest_runtestloop(session: pytest.Session) -> None:
    """Run the suite once, on the requirements left selected, before their items report it."""
    config = session.config
    if _PLAN not in config.stash or config.option.collectonly:
        return
    plan = config.stash[_PLAN]
    selected = frozenset(i.name for i in session.items if isinstance(i, RequirementItem))
    if not selected:
        return
    run_config = plan.config
    if selected != plan.reported:  # -k or --deselect chose: those run, and what they need
        run_config = replace(run_config, areas=frozenset(), requirements=selected)
    buffer = io.StringIO()
    console = Console(file=buffer, width=SUMMARY_WIDTH, highlight=False)
    wanted: list[Isolated] = [
        o
        for o in outputs(plan.args, run_config, console)
        if not isinstance(o.output, ProgressDisplay)
    ]
    try:
        finished = loop.run(api.run(run_config, wanted), TEARDOWN)
    except (ConformanceError, loop.Interrupted) as exc:
        _exit(exc)
    results = {r.requirement.id: r for r in finished.requirements}
    config.stash[_DONE] = _Done(finished, results, buffer.getvalue(), failures(wanted))


@pytest.hookimpl(tryfirst=True)
def pytest_sessionfinish(session: pytest.Session) -> None:
    """The CLI's exit code where it says more than the items: a run-level failure (an
    unverified capability), a harness error, a report not written."""
    done = session.config.stash.get(_DONE, None)
    if done is None or session.exitstatus not in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED):
        return
    code = EXIT_HARNESS if done.problems else EXIT_BY_OUTCOME[done.finished.outcome]
    session.exitstatus = max(int(session.exitstatus), code)


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    """The run's console summary, as `conformance run` ends, and any report not written."""
    done = config.stash.get(_DONE, None)
    if done is None:
        return
    terminalreporter.write_sep("=", "conformance")
    terminalreporter.write(done.summary)
    report = config.stash[_PLAN].config.report_dir / "report.json"
    if not any(line.startswith(f"{report} ") for line in done.problems):
        terminalreporter.write_line(f"report: {report}")
    for problem in done.problems:
        terminalreporter.write_line(f"conformance: {problem}", red=True)


class RequirementItem(pytest.Item):
    """A requirement's verdict as a pytest outcome: fail, skip, or pass."""

    def runtest(self) -> None:
        """Fail or skip according to the run's verdict for this requirement."""
        done = self.config.stash.get(_DONE, None)
        result = done.results.get(self.name) if done is not None else None
        if result is None:
            pytest.skip("not run")
        self.user_properties += [
            ("level", result.requirement.level.value),
            ("source", result.requirement.source),
        ]
        if result.stale_waiver:
            raise RequirementFailed(f"stale waiver: {result.stale_waiver_line}")
        if result.verdict is Verdict.SKIP:
            pytest.skip(result.reason)
        if result.verdict is not Verdict.PASS:
            if not result.gated:
                pytest.xfail(f"{result.requirement.level.value} (not gating): {result.reason}")
            raise RequirementFailed(
                f"{result.requirement.id} {result.requirement.level.value} "
                f"{result.verdict.value}: {result.reason}\n"
                f'  requires: "{result.requirement.quote}" ({result.requirement.source})',
            )

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        """The requirement, its quote and the reason, instead of a traceback."""
        if isinstance(excinfo.value, RequirementFailed):
            return str(excinfo.value)
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[str, int, str]:
        """Where the requirement is defined."""
        return f"schemas/requirements/{self.name.split('-')[0].lower()}.toml", 0, self.name


class RequirementFailed(Exception):
    """A gated requirement did not pass, or its waiver is stale; the message says which."""
