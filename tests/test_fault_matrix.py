"""Each requirement proven both ways: it passes on the reference server, and each fault switch
makes exactly the requirements it declares fail, under their own IDs, and nothing else.

The matrix (~110 full runs) is cut into SHARDS, each an xdist group (`--dist loadgroup`): a
worker computes its shard once, several runs at a time, by the same code as `conformance
selftest`; each row is then a test. Two shards keep both workers of a 2-core CI machine busy.
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
CONFORMANT = "(none)"
ROWS = [CONFORMANT, *sorted(FAULTS)]
SHARDS = 2
PARALLEL = 3
"""Runs in flight per shard: each mostly waits (retry delays, streams), so two shards of 3 share
2 cores with the rest of the tests."""


def _shard(row: str) -> int:
    return ROWS.index(row) % SHARDS


SHARD_TIMEOUT = 900
"""Seconds the test that computes a shard may take (pytest's default of 300 s is for one test;
a shard is ~55 full runs, and on a loaded 2-core machine it took up to ~300 s)."""


def _in_shard(row: str) -> list[pytest.MarkDecorator]:
    return [
        pytest.mark.xdist_group(f"fault-matrix-{_shard(row)}"),
        pytest.mark.timeout(SHARD_TIMEOUT),
    ]


_ROWS: dict[str, Row] = {}
_JUDGED: set[str] = set()


def _row(fault: str) -> Row:
    """The matrix row of a fault (or the conformant server), its whole shard computed on first
    use. A row asked for again is a rerun (pytest-rerunfailures, for a fully loaded machine):
    it is judged on a fresh run of that fault alone, never on the cached row that failed."""
    if fault not in _ROWS:
        shard = [row for row in ROWS if _shard(row) == _shard(fault)]
        faults = [row for row in shard if row != CONFORMANT]
        rows = matrix(faults, PARALLEL, conformant=CONFORMANT in shard)
        _ROWS.update({row.fault: row for row in loop.run(rows, TEARDOWN)})
    elif fault in _JUDGED:
        on = None if fault == CONFORMANT else fault
        fresh = one_row(on, FAULTS.get(fault, frozenset()), asyncio.Semaphore(1), MATRIX_EXAMPLES)
        _ROWS[fault] = loop.run(fresh, TEARDOWN)
    _JUDGED.add(fault)
    return _ROWS[fault]


@pytest.mark.timeout(SHARD_TIMEOUT)
@pytest.mark.xdist_group(f"fault-matrix-{_shard(CONFORMANT)}")
def test_conformant_reference_passes_every_requirement() -> None:
    row = _row(CONFORMANT)
    assert row.reasons == {}


@pytest.mark.parametrize("fault", [pytest.param(f, marks=_in_shard(f)) for f in sorted(FAULTS)])
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
