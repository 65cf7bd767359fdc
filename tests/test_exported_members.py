"""The public API is what conformance/__init__.py re-exports, and nothing else (as in httpx's
test of the same name): a change to it is a deliberate edit of this list."""

from __future__ import annotations

from types import ModuleType

import conformance

PUBLIC = [
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


def test_all_is_the_pinned_public_api() -> None:
    assert conformance.__all__ == PUBLIC


def test_every_public_name_is_exported_and_nothing_else() -> None:
    """Every name the package binds (but its sub-packages) is in __all__, sorted like it."""
    bound = [
        name
        for name, value in vars(conformance).items()
        if not isinstance(value, ModuleType) and (not name.startswith("_") or name == "__version__")
    ]
    assert sorted(bound) == sorted(PUBLIC)
    assert all(getattr(conformance, name) is not None for name in PUBLIC)
