"""Conformance suite for speech APIs that speak Deepgram's protocol.

    import conformance
    flags = {"target": URL, "api_key": KEY}
    config = conformance.RunConfig.resolve(flags, conformance.Profile(), os.environ)
    finished = asyncio.run(conformance.run(config, [conformance.JsonReportWriter(path)]))

The names below are the public API (pinned by tests/test_exported_members.py); every other
module is private to the tool and may change.
"""

from conformance.api import run, run_against
from conformance.contract.catalogue import Level, Requirement
from conformance.errors import (
    Blocked,
    CaseOutcome,
    CatalogueError,
    CheckFailed,
    ConformanceError,
    HarnessError,
    Skipped,
    TargetTimeout,
    TargetUnreachable,
    UsageError,
)
from conformance.report import (
    ConsoleReporter,
    EventsWriter,
    HtmlReportWriter,
    JsonReportWriter,
    JUnitWriter,
    MarkdownWriter,
)
from conformance.run.config import AuthScheme, Credentials, RunConfig
from conformance.run.events import (
    CaseFinished,
    CaseStarted,
    Event,
    Handler,
    Notice,
    RunFinished,
    RunStarted,
)
from conformance.run.profile import Profile
from conformance.run.verdicts import CaseResult, Outcome, RequirementResult, Verdict
from conformance.version import __version__

__all__ = [
    "AuthScheme",
    "Blocked",
    "CaseFinished",
    "CaseOutcome",
    "CaseResult",
    "CaseStarted",
    "CatalogueError",
    "CheckFailed",
    "ConformanceError",
    "ConsoleReporter",
    "Credentials",
    "Event",
    "EventsWriter",
    "Handler",
    "HarnessError",
    "HtmlReportWriter",
    "JUnitWriter",
    "JsonReportWriter",
    "Level",
    "MarkdownWriter",
    "Notice",
    "Outcome",
    "Profile",
    "Requirement",
    "RequirementResult",
    "RunConfig",
    "RunFinished",
    "RunStarted",
    "Skipped",
    "TargetTimeout",
    "TargetUnreachable",
    "UsageError",
    "Verdict",
    "__version__",
    "run",
    "run_against",
]
