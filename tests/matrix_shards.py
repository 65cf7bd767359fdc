"""The fault matrix cut into shards, one test file each, for the test files to share.

Each requirement is proven both ways: it passes on the reference server, and each fault switch
makes exactly the requirements it declares fail, under their own IDs, and nothing else. The
matrix (~110 full runs) is cut into SHARDS; with `--dist loadfile` each shard's file runs on one
xdist worker, which computes its shard once, several runs at a time, by the same code as
`conformance selftest`; each row is then a test. Two shards keep both workers of a 2-core CI
machine busy, each in its own process.
"""

from __future__ import annotations

import asyncio

from conformance import catalogue, loop
from conformance.selftest import MATRIX_EXAMPLES, Row, matrix, one_row
from conformance.timing import TEARDOWN

FAULTS = catalogue.load().faults()
CONFORMANT = "(none)"
ROWS = [CONFORMANT, *sorted(FAULTS)]
SHARDS = 2
PARALLEL = 4
"""Runs in flight per shard: each mostly waits (retry delays, streams), so two shards of 4 share
2 cores with the rest of the tests."""
SHARD_TIMEOUT = 900
"""Seconds the test that computes a shard may take (pytest's default of 300 s is for one test;
a shard is ~55 full runs, ~160 s on a loaded 2-core machine)."""


class Shard:
    """One shard's rows, computed on first use; a row asked for again is computed afresh."""

    def __init__(self, index: int) -> None:
        self.rows = [row for n, row in enumerate(ROWS) if n % SHARDS == index]
        self._computed: dict[str, Row] = {}
        self._judged: set[str] = set()

    def row(self, fault: str) -> Row:
        """The row of a fault (or CONFORMANT). Asked for again, it is a rerun (pytest-
        rerunfailures, for a fully loaded machine): judged on a fresh run of that fault alone,
        never on the cached row that failed."""
        if not self._computed:
            faults = [row for row in self.rows if row != CONFORMANT]
            rows = matrix(faults, PARALLEL, conformant=CONFORMANT in self.rows)
            self._computed = {row.fault: row for row in loop.run(rows, TEARDOWN)}
        elif fault in self._judged:
            on = None if fault == CONFORMANT else fault
            expected = FAULTS.get(fault, frozenset())
            fresh = one_row(on, expected, asyncio.Semaphore(1), MATRIX_EXAMPLES)
            self._computed[fault] = loop.run(fresh, TEARDOWN)
        self._judged.add(fault)
        return self._computed[fault]

    def check(self, fault: str) -> None:
        """Assert the row: no requirement left out or failing beyond the declared ones."""
        row = self.row(fault)
        if fault == CONFORMANT:
            assert row.reasons == {}, row.reasons
            return
        unexpected = {i: row.reasons[i] for i in row.observed - row.expected}
        missed = {i: row.reasons.get(i, "pass") for i in row.expected - row.observed}
        assert not unexpected and not missed, {"collateral": unexpected, "missed": missed}
        assert all(row.reasons[i].startswith("fail:") for i in row.expected), row.reasons
