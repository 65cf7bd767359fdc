"""The fault matrix cut into shards, one test file each, for the test files to share.

Each requirement is proven both ways: it passes on the reference server, and each fault switch
makes exactly the requirements it declares fail, under their own IDs, and nothing else. The
conformant row runs every area; a fault's row runs the areas of the requirements it declares
(and their prerequisites), against its own prefix of one shared reference process. The matrix
is cut into SHARDS; with `--dist loadfile` each shard's file runs on one xdist worker, which
computes its shard once, several runs at a time, by the same code as `conformance selftest`;
each row is then a test. `pytest -k FAULT` runs one row.
"""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from conformance.contract import catalogue
from conformance.run import loop
from conformance.selftest import Row, matrix
from conformance.timing import TEARDOWN

FAULTS = catalogue.load().faults()
CONFORMANT = "(none)"
ROWS = [CONFORMANT, *sorted(FAULTS)]
SHARDS = 2
PARALLEL = 6
"""Runs in flight per shard: each mostly waits (retry delays, streams), so two shards of 6 share
2 cores with the rest of the tests."""
SHARD_TIMEOUT = 600
"""Seconds the test that computes a shard may take (pytest's default of 300 s is for one test;
a shard is ~60 runs of one or two areas each, ~45 s on a loaded 2-core machine)."""


def row_id(fault: str) -> str:
    """A row's test ID names the requirements it breaks: `pytest -k LISTEN-SHA256` finds it."""
    return fault if fault == CONFORMANT else f"{fault}->{'+'.join(sorted(FAULTS[fault]))}"


class Shard:
    """One shard's rows, computed on first use (only those pytest selected); a row asked for
    again is computed afresh."""

    def __init__(self, index: int) -> None:
        self.rows = [row for n, row in enumerate(ROWS) if n % SHARDS == index]
        self._computed: dict[str, Row] = {}
        self._judged: set[str] = set()

    def row(self, fault: str, selected: Sequence[str]) -> Row:
        """The row of a fault (or CONFORMANT), computed with the other `selected` rows on first
        use. Asked for again, it is a rerun (pytest-rerunfailures, for a fully loaded machine):
        judged on a fresh run of that fault alone, never on the cached row that failed."""
        if fault in self._judged or fault not in self._computed:
            batch = [fault] if fault in self._judged else [*selected]
            faults = [row for row in batch if row != CONFORMANT]
            rows = matrix(faults, PARALLEL, conformant=CONFORMANT in batch)
            self._computed.update({row.fault: row for row in loop.run(rows, TEARDOWN)})
        self._judged.add(fault)
        return self._computed[fault]

    def check(self, fault: str, request: pytest.FixtureRequest) -> None:
        """Assert the row: no requirement left out or failing beyond the declared ones."""
        module = request.node.module
        selected = [
            item.callspec.params["fault"]
            for item in request.session.items
            if isinstance(item, pytest.Function) and item.module is module
            and hasattr(item, "callspec") and "fault" in item.callspec.params
        ]  # fmt: skip
        row = self.row(fault, selected or [fault])
        if fault == CONFORMANT:
            assert row.reasons == {}, row.reasons
            return
        unexpected = {i: row.reasons[i] for i in row.observed - row.expected}
        missed = {i: row.reasons.get(i, "pass") for i in row.expected - row.observed}
        assert not unexpected and not missed, {"collateral": unexpected, "missed": missed}
        assert all(row.reasons[i].startswith("fail:") for i in row.expected), row.reasons
