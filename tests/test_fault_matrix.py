"""Each requirement proven both ways: it passes on the reference server, and each fault switch
makes exactly the requirements it declares fail, under their own IDs, and nothing else."""

from __future__ import annotations

import pytest
from conftest import reference_run

from conformance import catalogue
from conformance.config import AuthScheme
from conformance.verdicts import Outcome, Verdict

CATALOGUE = catalogue.load()
FAULTS = CATALOGUE.faults()
BROKEN = {Verdict.FAIL, Verdict.TIMEOUT, Verdict.ERROR}


def test_conformant_reference_passes_every_requirement() -> None:
    finished = reference_run()
    assert {r.requirement.id for r in finished.requirements} == {
        r.id for r in CATALOGUE.requirements
    }
    not_passing = {
        r.requirement.id: f"{r.verdict}: {r.reason}"
        for r in finished.requirements
        if r.verdict is not Verdict.PASS
    }
    assert not_passing == {}
    assert finished.outcome is Outcome.PASSED


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_fault_breaks_exactly_its_requirements(fault: str) -> None:
    finished = reference_run([fault], AuthScheme(CATALOGUE.fault_scheme(fault)))
    broken = {
        r.requirement.id: f"{r.verdict}: {r.reason}"
        for r in finished.requirements
        if r.verdict in BROKEN
    }
    assert set(broken) == FAULTS[fault], broken
    assert all(
        r.verdict is Verdict.FAIL
        for r in finished.requirements
        if r.requirement.id in FAULTS[fault]
    ), broken
    for result in finished.requirements:
        if result.requirement.id in FAULTS[fault]:
            assert result.reason, "a failure must say what the target did wrong"
            assert any(case.exchanges for case in result.cases), "a failure carries its evidence"


def test_should_failure_gates_only_when_strict() -> None:
    lenient = reference_run(["accept-empty-body"])
    strict = reference_run(["accept-empty-body"], strict=True)
    assert lenient.outcome is Outcome.PASSED
    assert strict.outcome is Outcome.FAILED


def test_must_failure_gates() -> None:
    assert reference_run(["wrong-sha256"]).outcome is Outcome.FAILED
