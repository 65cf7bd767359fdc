"""`conformance selftest`: the fault matrix for users. The suite must pass every requirement
against the reference server, and with each fault switch on, fail exactly the requirements
that fault declares. A suite that passes a broken server, or fails a correct one, says so here.
"""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.table import Table

from conformance import api
from conformance.contract import catalogue
from conformance.errors import UsageError
from conformance.run import loop
from conformance.run.config import RunConfig
from conformance.run.embedded import EmbeddedServer
from conformance.run.profile import EMPTY
from conformance.run.proof import not_applicable
from conformance.run.verdicts import BROKEN, Verdict
from conformance.timing import TEARDOWN


@dataclass(frozen=True)
class Row:
    """One fault (or none: the conformant server) and what the suite made of it."""

    fault: str
    expected: frozenset[str]
    observed: frozenset[str]
    reasons: dict[str, str]
    """Every requirement not passing (but those that do not exist in the row's dialect), with
    its verdict and reason (to explain a wrong row)."""

    @property
    def ok(self) -> bool:
        """The suite failed exactly the declared requirements."""
        return self.expected == self.observed


def plan(reports: str, fault: str | None, examples: int, areas: Sequence[str]) -> RunConfig:
    """The configuration of one row's run: its reports in a temporary folder, resolved from no
    profile and no environment (the matrix never reads the working directory's
    [tool.conformance], whose target would get every faulted run: issue 17)."""
    flags: dict[str, object] = {"report_dir": Path(reports), "examples": examples}
    flags |= catalogue.load().fault_flags(fault) if fault else {}
    return RunConfig.resolve({**flags, "only": list(areas)}, EMPTY, {})


def areas_of(expected: frozenset[str]) -> list[str]:
    """The areas a fault's row runs: those its declared requirements live in (the run adds
    their prerequisites); the conformant row runs every area."""
    found = catalogue.load()
    return sorted({found.requirement(rid).area for rid in expected})


async def one_row(
    fault: str | None,
    expected: frozenset[str],
    slots: asyncio.Semaphore,
    examples: int,
    server: EmbeddedServer,
    full: bool = False,
) -> Row:
    """Run the suite with one fault (or none) on, against its tenant of a shared server."""
    async with slots:
        with tempfile.TemporaryDirectory() as reports:
            config = plan(reports, fault, examples, () if full else areas_of(expected))
            tenant = server.under("fault", [fault] if fault else [])
            finished = await api.run_against(config, tenant)
    observed = frozenset(r.requirement.id for r in finished.requirements if r.verdict in BROKEN)
    reasons = {
        r.requirement.id: f"{r.verdict.value}: {r.reason}"
        for r in finished.requirements
        if r.verdict is not Verdict.PASS and not not_applicable(r)
    }
    return Row(fault or "(none)", expected, observed, reasons)


MATRIX_EXAMPLES = 5
"""Generated examples per property case in matrix runs: boundaries are explicit examples, so
every fault is caught without a large budget, and ~120 runs stay affordable."""


async def matrix(
    faults: Sequence[str],
    parallel: int,
    examples: int = MATRIX_EXAMPLES,
    conformant: bool = False,
    full: bool = False,
) -> list[Row]:
    """The rows of `faults`, `parallel` runs at a time against one shared reference process;
    with `conformant`, the conformant server's row first, over every area. A fault's row runs
    the areas of the requirements it declares, or, with `full`, every area."""
    table = catalogue.load().faults()
    unknown = sorted(set(faults) - set(table))
    if unknown:
        raise UsageError(f"no requirement declares fault {', '.join(unknown)}")
    slots = asyncio.Semaphore(parallel)
    with tempfile.TemporaryDirectory() as reports:
        async with api.reference_for(plan(reports, None, examples, ()), tenants=True) as server:
            jobs = [one_row(f, table[f], slots, examples, server, full) for f in faults]
            if conformant:
                jobs.insert(0, one_row(None, frozenset(), slots, examples, server))
            return list(await asyncio.gather(*jobs))


def run_selftest(only: list[str], parallel: int, console: Console, full: bool = False) -> bool:
    """Print the matrix; True when every row is as declared."""
    everything = sorted(catalogue.load().faults())
    rows = loop.run(matrix(only or everything, parallel, conformant=not only, full=full), TEARDOWN)
    table = Table(title="Fault matrix")
    for column in ("fault", "expected to fail", "observed failing", "ok"):
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(
            row.fault,
            ", ".join(sorted(row.expected)) or "-",
            ", ".join(sorted(row.observed)) or "-",
            "[green]yes[/]" if row.ok else "[red]NO[/]",
        )
    console.print(table)
    bad = [row.fault for row in rows if not row.ok]
    console.print(
        f"{len(rows) - len(bad)} of {len(rows)} rows as declared"
        + (f"; wrong: {', '.join(bad)}" if bad else ""),
        highlight=False,
    )
    return not bad
