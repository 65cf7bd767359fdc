"""Blocked verdicts: a case whose prerequisite observation is missing skips naming the
requirement that fails for it, or fails as its own defect when that requirement passes; the
catalogue declares every prerequisite a case may name, and the engine holds it to that."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from conformance.cases import REGISTRY
from conformance.cases.kit.context import CaseContext
from conformance.cases.kit.registry import Case
from conformance.contract import catalogue as catalogue_module
from conformance.contract.catalogue import _check_prerequisites
from conformance.errors import Blocked, CatalogueError
from conformance.run.config import Credentials, RunConfig
from conformance.run.engine import Engine, select
from conformance.run.verdicts import CaseResult, Verdict, attribute_blocked

PACKAGE = Path(__file__).resolve().parents[2] / "conformance"


def _case(
    requirement_id: str, verdict: Verdict, reason: str, blocked_by: str | None = None
) -> CaseResult:
    """A finished case of one requirement."""
    return CaseResult(
        f"c.{requirement_id}", requirement_id, verdict, reason, 0.0, blocked_by=blocked_by
    )


def test_blocked_by_a_failing_prerequisite_skips_naming_it() -> None:
    schema = _case("LISTEN-SCHEMA", Verdict.FAIL, "no metadata")
    sha = _case("LISTEN-SHA256", Verdict.SKIP, "not a transcription", "LISTEN-SCHEMA")
    sha.reproducer = "curl ..."
    settled = attribute_blocked([schema, sha])
    assert settled == [sha]
    assert sha.verdict is Verdict.SKIP and sha.blocked_by == "LISTEN-SCHEMA"
    assert sha.reason.startswith("blocked: LISTEN-SCHEMA fails")
    assert sha.reproducer is None


def test_blocked_by_a_passing_prerequisite_is_its_own_failure() -> None:
    raw = _case("LISTEN-RAW-BODY", Verdict.PASS, "")
    tag = _case("TAG-ACCEPTED", Verdict.SKIP, "tag=legal got 400", "LISTEN-RAW-BODY")
    attribute_blocked([raw, tag])
    assert tag.verdict is Verdict.FAIL and tag.blocked_by is None
    assert "LISTEN-RAW-BODY passes" in tag.reason and "tag=legal got 400" in tag.reason


def test_a_chain_of_blocks_names_the_root() -> None:
    raw = _case("LISTEN-RAW-BODY", Verdict.FAIL, "404")
    schema = _case("LISTEN-SCHEMA", Verdict.SKIP, "404", "LISTEN-RAW-BODY")
    echo = _case("EXTRA-ECHO", Verdict.SKIP, "not a transcription", "LISTEN-SCHEMA")
    many = _case("EXTRA-MULTIPLE", Verdict.SKIP, "no extra", "EXTRA-ECHO")
    attribute_blocked([many, echo, schema, raw])
    assert {r.blocked_by for r in (schema, echo, many)} == {"LISTEN-RAW-BODY"}
    assert all(r.verdict is Verdict.SKIP for r in (schema, echo, many))


def test_a_prerequisite_skipped_for_its_own_reason_leaves_a_plain_skip() -> None:
    header = _case("STREAM-AUTH-HEADER", Verdict.SKIP, "streaming not declared")
    json_case = _case("STREAM-MESSAGES-JSON", Verdict.SKIP, "refused", "STREAM-AUTH-HEADER")
    attribute_blocked([header, json_case])
    assert json_case.verdict is Verdict.SKIP and json_case.blocked_by is None
    assert "was not judged (streaming not declared)" in json_case.reason


def test_the_catalogue_refuses_unknown_and_circular_prerequisites() -> None:
    with pytest.raises(CatalogueError, match="unknown prerequisite NOPE-X"):
        _check_prerequisites({"A-B": ("NOPE-X",)})
    with pytest.raises(CatalogueError, match="its own prerequisite"):
        _check_prerequisites({"A-B": ("A-C",), "A-C": ("A-B",)})


def test_every_requirement_a_case_names_as_blocking_is_declared() -> None:
    """Every literal `ctx.blocked("ID", ...)` and every prerequisite constant a case module
    raises names a requirement declared as a prerequisite of each requirement whose case can
    reach it (the engine turns an undeclared one into a harness error at run time)."""
    catalogue = catalogue_module.load()
    ids = {r.id for r in catalogue.requirements}
    named = set()
    for path in (PACKAGE / "cases").glob("*.py"):
        text = path.read_text()
        named |= set(re.findall(r'ctx\.blocked\(\s*"([A-Z]+(?:-[A-Z0-9]+)+)"', text))
        named |= set(re.findall(r'blocked\(\s*\n?\s*"([A-Z]+(?:-[A-Z0-9]+)+)"', text))
    assert named, "no blocked() call found: the pattern no longer matches the cases"
    assert named <= ids, named - ids
    declared = {p for r in catalogue.requirements for p in r.prerequisites}
    assert named <= declared, f"named as blocking but never declared: {named - declared}"


def test_an_undeclared_prerequisite_is_a_harness_error_and_a_self_block_a_failure() -> None:
    """The engine holds cases to the catalogue: blocked by an undeclared requirement is the
    harness's bug (error), blocked by its own requirement is that requirement's failure."""

    async def undeclared(ctx: CaseContext) -> None:
        CaseContext.blocked("KEYS-CREATE", "no key")

    async def itself(ctx: CaseContext) -> None:
        CaseContext.blocked("LISTEN-SCHEMA", "the body is not a transcription")

    config = RunConfig(target="http://127.0.0.1:9", credentials=Credentials("k"))
    engine = Engine(config, [])
    results = {}
    for requirement_id, function in (("LISTEN-SHA256", undeclared), ("LISTEN-SCHEMA", itself)):
        case = Case(function.__name__, requirement_id, function)
        verdict, reason, blocked_by = engine._blocked(case, _raise(function))
        results[requirement_id] = (verdict, reason, blocked_by)
    assert results["LISTEN-SHA256"][0] is Verdict.ERROR
    assert "does not declare" in results["LISTEN-SHA256"][1]
    assert results["LISTEN-SCHEMA"] == (Verdict.FAIL, "the body is not a transcription", None)


def _raise(function: Callable[[Any], Awaitable[None]]) -> Blocked:
    """The Blocked a case function raises."""
    try:
        asyncio.run(function(None))
    except Blocked as blocked:
        return blocked
    raise AssertionError("the case did not raise Blocked")


def test_a_selected_area_brings_its_prerequisites_into_the_run() -> None:
    catalogue = catalogue_module.load()
    config = RunConfig(
        target="http://127.0.0.1:9", credentials=Credentials("k"), areas=frozenset({"TAG"})
    )
    chosen = {case.requirement_id for case in select(catalogue, config, REGISTRY)}
    assert {"LISTEN-RAW-BODY", "LISTEN-SCHEMA", "KEYS-CREATE"} <= chosen
    assert "LISTEN-SHA256" not in chosen
