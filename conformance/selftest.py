"""`conformance selftest`: the fault matrix for users. The suite must pass every requirement
against the reference server, and with each fault switch on, fail exactly the requirements
that fault declares. A suite that passes a broken server, or fails a correct one, says so here.
"""

from __future__ import annotations

import asyncio
import tempfile
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.table import Table

from . import catalogue, loop
from .cli import build_parser, run_from_args
from .errors import UsageError
from .timing import TEARDOWN
from .verdicts import BROKEN, Verdict


@dataclass(frozen=True)
class Row:
    """One fault (or none: the conformant server) and what the suite made of it."""

    fault: str
    expected: frozenset[str]
    observed: frozenset[str]
    reasons: dict[str, str]
    """Every requirement not passing, with its verdict and reason (to explain a wrong row)."""

    @property
    def ok(self) -> bool:
        """The suite failed exactly the declared requirements."""
        return self.expected == self.observed


async def one_row(
    fault: str | None, expected: frozenset[str], slots: asyncio.Semaphore, examples: int
) -> Row:
    """Run the suite against the reference server with one fault (or none) on."""
    scheme = catalogue.load().fault_scheme(fault) if fault else "token"
    async with slots:
        with tempfile.TemporaryDirectory() as reports:
            # An empty profile of its own: the matrix never reads the working directory's
            # [tool.conformance], whose target would get every faulted run (issue 17).
            empty = Path(reports) / "selftest-profile.toml"
            empty.write_text("", encoding="utf-8")
            args = build_parser().parse_args(
                [
                    "run",
                    "--profile",
                    str(empty),
                    "--auth-scheme",
                    scheme,
                    "--report-dir",
                    reports,
                    "--examples",
                    str(examples),
                ]
            )
            finished = await run_from_args(args, [], faults=(fault,) if fault else ())
    observed = frozenset(r.requirement.id for r in finished.requirements if r.verdict in BROKEN)
    reasons = {
        r.requirement.id: f"{r.verdict.value}: {r.reason}"
        for r in finished.requirements
        if r.verdict is not Verdict.PASS
    }
    return Row(fault or "(none)", expected, observed, reasons)


MATRIX_EXAMPLES = 5
"""Generated examples per property case in matrix runs: boundaries are explicit examples, so
every fault is caught without a large budget, and ~120 runs stay affordable."""


async def matrix(
    only: list[str],
    parallel: int,
    examples: int = MATRIX_EXAMPLES,
    conformant: bool | None = None,
) -> list[Row]:
    """The rows of `only` (all when empty), `parallel` runs at a time; with `conformant` (by
    default when `only` is empty) the conformant server's row first."""
    table = catalogue.load().faults()
    unknown = sorted(set(only) - set(table))
    if unknown:
        raise UsageError(f"no requirement declares fault {', '.join(unknown)}")
    chosen = only or sorted(table)
    slots = asyncio.Semaphore(parallel)
    jobs = [one_row(f, table[f], slots, examples) for f in chosen]
    if conformant if conformant is not None else not only:
        jobs.insert(0, one_row(None, frozenset(), slots, examples))
    return list(await asyncio.gather(*jobs))


def run_selftest(only: list[str], parallel: int, console: Console) -> bool:
    """Print the matrix; True when every row is as declared."""
    rows = loop.run(matrix(only, parallel), TEARDOWN)
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
