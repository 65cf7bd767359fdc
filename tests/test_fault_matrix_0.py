"""Fault matrix, shard 0 of 2 (see matrix_shards.py): the conformant row and half the faults."""

from __future__ import annotations

import pytest
from matrix_shards import SHARD_TIMEOUT, Shard

SHARD = Shard(0)


@pytest.mark.timeout(SHARD_TIMEOUT)
@pytest.mark.parametrize("fault", SHARD.rows)
def test_fault_breaks_exactly_its_requirements(fault: str) -> None:
    SHARD.check(fault)
