"""The suite as a pytest plugin: one test item per requirement, so pytest's own reports
(JUnit XML, -k selection, CI integrations) work on verdicts.

    pytest -p conformance --conformance="--target URL --api-key KEY" --junitxml=out.xml

The option takes the flags of `conformance run`; without --target the embedded reference
server is tested. The plugin is inert unless --conformance is given.
"""

from __future__ import annotations

import shlex
from typing import Any

import pytest

from conformance import api
from conformance.cli.commands import config_of
from conformance.cli.parser import run_flags
from conformance.contract import catalogue
from conformance.errors import ConformanceError
from conformance.report import JsonReportWriter
from conformance.run import loop
from conformance.run.events import RunFinished
from conformance.run.verdicts import RequirementResult, Verdict
from conformance.timing import TEARDOWN

_FLAGS = pytest.StashKey[Any]()
_RESULT = pytest.StashKey[RunFinished | ConformanceError]()


def pytest_addoption(parser: pytest.Parser) -> None:
    """--conformance FLAGS turns the plugin on."""
    parser.getgroup("conformance").addoption(
        "--conformance",
        metavar="FLAGS",
        default=None,
        help="run the conformance suite as tests; FLAGS are `conformance run` flags, "
        'e.g. "--target http://host:8000 --api-key KEY --strict"',
    )


def pytest_collection_modifyitems(
    session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
) -> None:
    """Add one item per requirement of the selected areas."""
    flags = config.getoption("conformance")
    if flags is None:
        return
    args = run_flags(shlex.split(flags))
    config.stash[_FLAGS] = args
    for requirement in catalogue.load().requirements:
        if not args.only or requirement.area in args.only:
            items.append(RequirementItem.from_parent(session, name=requirement.id))


def _finished(config: pytest.Config) -> RunFinished | ConformanceError:
    """Run the whole suite once, on first use; every item reads its verdict from it."""
    if _RESULT not in config.stash:
        try:
            plan = config_of(config.stash[_FLAGS])
            writer = JsonReportWriter(plan.report_dir / "report.json")
            config.stash[_RESULT] = loop.run(api.run(plan, [writer]), TEARDOWN)
        except ConformanceError as exc:
            config.stash[_RESULT] = exc
    return config.stash[_RESULT]


class RequirementItem(pytest.Item):
    """A requirement's verdict as a pytest outcome: fail, skip, or pass."""

    def runtest(self) -> None:
        """Fail or skip according to the run's verdict for this requirement."""
        finished = _finished(self.config)
        if isinstance(finished, ConformanceError):
            pytest.fail(f"the run could not be made: {finished}", pytrace=False)
        result = next((r for r in finished.requirements if r.requirement.id == self.name), None)
        if result is None:
            pytest.skip("not run")
        self.user_properties += [
            ("level", result.requirement.level.value),
            ("source", result.requirement.source),
        ]
        if result.verdict is Verdict.SKIP:
            pytest.skip(result.reason)
        if result.verdict is not Verdict.PASS:
            if not result.gated:
                pytest.xfail(f"{result.requirement.level.value} (not gating): {result.reason}")
            raise RequirementFailed(result)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        """The requirement, its quote and the reason, instead of a traceback."""
        if isinstance(excinfo.value, RequirementFailed):
            result = excinfo.value.result
            return (
                f"{result.requirement.id} {result.requirement.level.value} "
                f"{result.verdict.value}: {result.reason}\n"
                f'  requires: "{result.requirement.quote}" ({result.requirement.source})'
            )
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[str, int, str]:
        """Where the requirement is defined."""
        return f"schemas/requirements/{self.name.split('-')[0].lower()}.toml", 0, self.name


class RequirementFailed(Exception):
    """A gated requirement did not pass."""

    def __init__(self, result: RequirementResult) -> None:
        super().__init__(result.reason)
        self.result = result
