"""Every sentence of the contract documents is enforced by a requirement or waived for a
stated reason (`conformance coverage --documents`, issue 22)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from conformance.cli.commands import EXIT_PASSED, main
from conformance.contract import catalogue, sentences
from conformance.errors import UsageError

CATALOGUE = catalogue.load()


def _docs(shared: Path) -> Path:
    return shared / "contract-docs"


def test_every_sentence_is_enforced_or_waived(shared: Path) -> None:
    found = sentences.sentences(CATALOGUE, _docs(shared))
    assert {s.document for s in found} == {"000", "001", "002", "003", "004"}
    assert len(found) > 400
    assert [f"{s.document}: {s.text}" for s in found if not s.accounted] == []
    assert sentences.stale(found, CATALOGUE) == []


def test_a_quoted_sentence_names_its_requirement(shared: Path) -> None:
    found = sentences.sentences(CATALOGUE, _docs(shared))
    ports = [
        s
        for s in found
        if s.document in {"000", "001"} and s.text.startswith("Only ports 80, 443, 8080, and 8443")
    ]
    assert ports and all("CALLBACK-PORT-ALLOWED" in s.covered_by for s in ports)


def test_a_sentence_without_its_requirement_is_not_covered(shared: Path) -> None:
    """Take away what quotes the tag limit and document 002's sentence falls uncovered."""
    bare = replace(
        CATALOGUE,
        requirements=tuple(r for r in CATALOGUE.requirements if not r.id.startswith("TAG-LIMIT")),
        parameters=tuple(p for p in CATALOGUE.parameters if p.name != "tag"),
    )
    limit = [
        s
        for s in sentences.sentences(bare, _docs(shared))
        if s.document == "002" and "128" in s.text and not s.covered_by
    ]
    assert limit and all(s.waiver is None for s in limit)


def test_navigation_code_and_headings_are_not_sentences() -> None:
    lines = [
        "## Enable Feature",
        "```",
        "curl \\",
        "```",
        "Enable Feature",
        "A rule holds.",
        "- an item",
    ]
    assert sentences.split(lines, sentences.re.compile(r"^curl")) == ["A rule holds.", "- an item"]


def test_the_command_exits_0_and_names_its_figures(
    shared: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["coverage", "--documents", "--docs", str(_docs(shared))]) == EXIT_PASSED
    assert "enforced," in capsys.readouterr().out


def test_a_missing_folder_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["coverage", "--documents", "--docs", str(tmp_path / "nowhere")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "cannot be read" in err[0]
    with pytest.raises(UsageError):
        sentences.sentences(CATALOGUE, tmp_path)


def test_a_waiver_over_enforced_sentences_is_reported_stale(
    shared: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A waiver left behind once a requirement quotes its sentence is named, so it is deleted."""
    table = sentences._table()
    injected = {
        "document": "000",
        "first": "Only ports 80, 443, 8080, and 8443",
        "reason": "injected: the port rule cannot be observed",
    }
    waivers = [*table["waiver"], injected]  # type: ignore[misc]
    monkeypatch.setattr(sentences, "_table", lambda: {**table, "waiver": waivers})
    found = sentences.sentences(CATALOGUE, _docs(shared))
    assert sentences.stale(found, CATALOGUE) == ["000 'Only ports 80, 443, 8080, and 8443'"]
    assert main(["coverage", "--documents", "--docs", str(_docs(shared))]) == 1
    assert "stale waiver (every sentence it names is enforced): 000 'Only ports" in (
        capsys.readouterr().out
    )
