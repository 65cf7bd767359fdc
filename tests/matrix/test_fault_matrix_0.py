"""Fault matrix, shard 0 of 2 (see matrix_shards.py): the conformant row and half the faults."""

from __future__ import annotations

import pytest
from matrix_shards import SHARD_TIMEOUT, Shard, row_id

SHARD = Shard(0)


@pytest.mark.timeout(SHARD_TIMEOUT)
@pytest.mark.parametrize("fault", SHARD.rows, ids=row_id)
def test_fault_breaks_exactly_its_requirements(fault: str, request: pytest.FixtureRequest) -> None:
    SHARD.check(fault, request)
