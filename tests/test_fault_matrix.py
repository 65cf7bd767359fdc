"""Each requirement proven both ways: it passes on the reference server, and each fault switch
makes exactly the requirements it declares fail, under their own IDs, and nothing else.

The whole matrix (~120 full runs) is computed once, in one xdist worker (`--dist loadgroup`),
several runs at a time, by the same code as `conformance selftest`; each row is then a test.
"""

from __future__ import annotations

import asyncio

import pytest

from conformance import catalogue, loop
from conformance.selftest import MATRIX_EXAMPLES, Row, matrix, one_row
from conformance.timing import TEARDOWN
from conformance.verdicts import Outcome, Verdict

CATALOGUE = catalogue.load()
FAULTS = CATALOGUE.faults()
PARALLEL = 4
"""Runs in flight at once: each mostly waits (retry delays, streams), so 4 share 2 cores well."""

pytestmark = pytest.mark.xdist_group("fault-matrix")

_ROWS: dict[str, Row] = {}
_JUDGED: set[str] = set()


def _row(fault: str) -> Row:
    """The matrix row of a fault (or "(none)"), computing the whole matrix on first use.

    A row asked for again is a rerun (pytest-rerunfailures, for a fully loaded machine): it is
    judged on a fresh run of that fault alone, never on the cached row that failed."""
    if not _ROWS:
        _ROWS.update({row.fault: row for row in loop.run(matrix([], PARALLEL), TEARDOWN)})
    elif fault in _JUDGED:
        on = None if fault == "(none)" else fault
        fresh = one_row(on, FAULTS.get(fault, frozenset()), asyncio.Semaphore(1), MATRIX_EXAMPLES)
        _ROWS[fault] = loop.run(fresh, TEARDOWN)
    _JUDGED.add(fault)
    return _ROWS[fault]


def test_conformant_reference_passes_every_requirement() -> None:
    row = _row("(none)")
    assert row.reasons == {}


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_fault_breaks_exactly_its_requirements(fault: str) -> None:
    row = _row(fault)
    unexpected = {i: row.reasons[i] for i in row.observed - row.expected}
    missed = {i: row.reasons.get(i, "pass") for i in row.expected - row.observed}
    assert not unexpected and not missed, {"collateral": unexpected, "missed": missed}
    assert all(row.reasons[i].startswith("fail:") for i in row.expected), row.reasons


def test_should_failure_gates_only_when_strict() -> None:
    from conftest import reference_run

    lenient = reference_run(["accept-empty-body"])
    strict = reference_run(["accept-empty-body"], strict=True)
    assert lenient.outcome is Outcome.PASSED
    assert strict.outcome is Outcome.FAILED
    assert any(r.verdict is Verdict.FAIL for r in strict.requirements)
