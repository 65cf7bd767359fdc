"""report.html shows each quote in its context (issue 22): the document's title, and the
sentences before and after the quoted one, read from the contract documents when they are at
hand; without them the page still renders, with the quote and its source file."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from conformance.contract import catalogue
from conformance.report.html import render
from conformance.report.view import RunView
from conformance.run.config import AuthScheme, Credentials, RunConfig
from conformance.run.events import RunFinished, RunStarted
from conformance.run.verdicts import Outcome, RequirementResult, Verdict

CATALOGUE = catalogue.load()
REQUIREMENT = CATALOGUE.requirement("CALLBACK-ACCEPTED")


def _report() -> RunView:
    """The view of a run holding one passing requirement."""
    now = datetime(2026, 1, 1, tzinfo=UTC)
    config = RunConfig(target="http://t", credentials=Credentials("k", AuthScheme.TOKEN))
    start = RunStarted(config, CATALOGUE, config.target, now, 0)
    passed = RequirementResult(REQUIREMENT, Verdict.PASS, "", True, [])
    return RunView.of(start, RunFinished([passed], Outcome.PASSED, now, now))


def test_the_quote_stands_between_its_neighbours(shared: Path) -> None:
    page = render(_report(), shared / "contract-docs")
    assert "Speech-to-text Callback (current page) (000)</cite>" in page
    before = page.index("Callback feature allows you to supply a callback URL")
    quote = page.index("<mark>“When passed, Deepgram will immediately respond")
    after = page.index("To enable Callback, when you call Deepgram")
    assert before < quote < after


def test_without_the_documents_the_quote_stands_alone(tmp_path: Path) -> None:
    page = render(_report(), tmp_path / "no-documents")
    assert "<mark>“When passed, Deepgram will immediately respond" in page
    cite = '<cite title="000_7613ce51cc94e666.txt">Speech-to-text Callback (current page) (000)'
    assert cite in page
    assert "To enable Callback" not in page
