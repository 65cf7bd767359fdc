"""report.html shows each quote in its context (issue 22): the document's title, and the
sentences before and after the quoted one, read from the contract documents when they are at
hand; without them the page still renders, with the quote and its source file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from conformance.contract import catalogue
from conformance.report.html import render

REQUIREMENT = catalogue.load().requirement("CALLBACK-ACCEPTED")


def _report() -> dict[str, Any]:
    """A minimal report.json document holding one passing requirement."""
    entry = {
        "id": REQUIREMENT.id, "level": REQUIREMENT.level.value, "area": REQUIREMENT.area,
        "source": REQUIREMENT.source, "quote": REQUIREMENT.quote, "summary": REQUIREMENT.summary,
        "verdict": "pass", "reason": "", "gated": True, "not_gating_because": None,
        "evidence": list(REQUIREMENT.evidence), "cases": [],
    }  # fmt: skip
    return {
        "tool": {"name": "conformance", "version": "0"}, "target": "http://t", "embedded": True,
        "started": "2026-01-01T00:00:00Z", "finished": "2026-01-01T00:00:01Z", "duration": 1.0,
        "outcome": "passed", "summary": {}, "requirements": [entry], "blocked": [], "notices": [],
        "left_on_target": [], "rate_limited": {}, "config": {}, "profile": {},
    }  # fmt: skip


def test_the_quote_stands_between_its_neighbours(shared: Path) -> None:
    page = render(_report(), shared / "contract-docs")
    assert "Speech-to-text Callback (current page) (000_7613ce51cc94e666.txt)" in page
    before = page.index("Callback feature allows you to supply a callback URL")
    quote = page.index("<mark>“When passed, Deepgram will immediately respond")
    after = page.index("To enable Callback, when you call Deepgram")
    assert before < quote < after


def test_without_the_documents_the_quote_stands_alone(tmp_path: Path) -> None:
    page = render(_report(), tmp_path / "no-documents")
    assert "<mark>“When passed, Deepgram will immediately respond" in page
    assert "— 000_7613ce51cc94e666.txt" in page
    assert "To enable Callback" not in page
