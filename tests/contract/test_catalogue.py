"""The catalogue is consistent, traceable to the documents, and tied to cases and faults."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from conformance.cases import REGISTRY
from conformance.contract import catalogue
from conformance.errors import CatalogueError
from conformance.reference import FAULTS as REFERENCE_FAULTS
from conformance.reference.streaming.pressure import LOAD_ONLY
from conformance.run.config import AuthScheme, Credentials, RunConfig
from conformance.run.engine import select

CATALOGUE = catalogue.load()


def _document(shared: Path, name: str) -> str:
    for folder in (shared / "contract-docs", shared / "real-world" / "specs"):
        if (folder / name).is_file():
            return re.sub(r"\s+", "", (folder / name).read_text(encoding="utf-8"))
    raise AssertionError(f"source {name} is not among the contract documents")


def test_every_requirement_quote_is_verbatim_in_its_source(shared: Path) -> None:
    for requirement in CATALOGUE.requirements:
        assert re.sub(r"\s+", "", requirement.quote) in _document(shared, requirement.source), (
            requirement.id
        )


def test_every_parameter_quote_is_verbatim_in_its_source(shared: Path) -> None:
    for parameter in CATALOGUE.parameters:
        assert re.sub(r"\s+", "", parameter.quote) in _document(shared, parameter.source), (
            parameter.name
        )


def test_every_requirement_has_a_case_and_every_case_a_requirement() -> None:
    config = RunConfig(target="http://127.0.0.1:1", credentials=Credentials("k", AuthScheme.TOKEN))
    assert len(select(CATALOGUE, config, REGISTRY)) == len(REGISTRY)
    assert {c.requirement_id for c in REGISTRY} == {r.id for r in CATALOGUE.requirements}


def test_a_case_for_an_unknown_requirement_is_refused() -> None:
    config = RunConfig(target="http://127.0.0.1:1", credentials=Credentials("k", AuthScheme.TOKEN))
    stray = REGISTRY[0].__class__("x.y", "LISTEN-NOPE", REGISTRY[0].run)
    with pytest.raises(CatalogueError, match="LISTEN-NOPE"):
        select(CATALOGUE, config, [*REGISTRY, stray])


def test_every_requirement_can_be_broken_by_a_fault() -> None:
    unbroken = [r.id for r in CATALOGUE.requirements if not r.faults and not r.unbreakable]
    assert unbroken == []
    assert all(r.faults for r in CATALOGUE.requirements if r.area in {"LISTEN", "AUTH"})


def test_catalogue_faults_are_the_reference_server_faults() -> None:
    named = set(CATALOGUE.faults())
    assert named - set(REFERENCE_FAULTS) == set(), "the catalogue names faults the server lacks"
    unnamed = set(REFERENCE_FAULTS) - named
    assert unnamed == set(LOAD_ONLY), "the server has faults no requirement names"


def test_load_only_faults_are_named_by_no_requirement() -> None:
    """LOAD_ONLY (conformance/reference/streaming/pressure.py): faults that act only above a
    number of open streams; the matrix, one stream at a time, would see none of them, so no
    requirement declares them and `conformance load` proves them (tests/load/)."""
    assert set(LOAD_ONLY) <= set(REFERENCE_FAULTS)
    assert set(LOAD_ONLY).isdisjoint(CATALOGUE.faults())


def test_should_is_used_where_documents_leave_behaviour_open() -> None:
    # Refusals of bad input are never documented as errors: none of them may be a MUST.
    refusals = [
        "LISTEN-EMPTY-BODY",
        "LISTEN-BAD-JSON",
        "LISTEN-PARAM-INVALID",
        "LISTEN-SEARCH-LIMIT-ENFORCED",
        "LISTEN-KEYWORDS-LIMIT-ENFORCED",
        "LISTEN-ERROR-BODY",
        "AUTH-MISSING-401",
        "AUTH-WRONG-KEY-401",
        "STREAM-AUTH-401",
    ]
    assert {CATALOGUE.requirement(i).level.value for i in refusals} == {"SHOULD"}
