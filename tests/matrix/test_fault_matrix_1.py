"""Fault matrix, shard 1 of 2 (see matrix_shards.py), and gating of a SHOULD failure."""

from __future__ import annotations

import pytest
from conftest import reference_run
from matrix_shards import SHARD_TIMEOUT, Shard, row_id

from conformance.run.verdicts import Outcome, Verdict

SHARD = Shard(1)


@pytest.mark.timeout(SHARD_TIMEOUT)
@pytest.mark.parametrize("fault", SHARD.rows, ids=row_id)
def test_fault_breaks_exactly_its_requirements(fault: str, request: pytest.FixtureRequest) -> None:
    SHARD.check(fault, request)


def test_should_failure_gates_only_when_strict() -> None:
    listen = frozenset({"LISTEN"})  # where LISTEN-EMPTY-BODY, the SHOULD it breaks, lives
    lenient = reference_run(["accept-empty-body"], areas=listen)
    strict = reference_run(["accept-empty-body"], strict=True, areas=listen)
    assert lenient.outcome is Outcome.PASSED
    assert strict.outcome is Outcome.FAILED
    assert any(r.verdict is Verdict.FAIL for r in strict.requirements)
