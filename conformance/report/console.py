"""The terminal summary: a table per area and one line per failed requirement."""

from __future__ import annotations

from collections import defaultdict

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from conformance.contract.catalogue import AREAS
from conformance.run.events import Event, Notice, RunFinished, RunStarted
from conformance.run.verdicts import Outcome, Verdict, blocked_groups
from conformance.wire import cost

_STYLE = {
    Verdict.PASS: "green",
    Verdict.FAIL: "red",
    Verdict.SKIP: "yellow",
    Verdict.ERROR: "magenta",
    Verdict.TIMEOUT: "red",
}


class ConsoleReporter:
    """Prints what a person at a terminal or a CI log needs to see."""

    def __init__(self, console: Console) -> None:
        self.console = console

    def _line(self, text: str) -> None:
        """Print one line as written: no highlighting, never folded (IDs stay greppable)."""
        self.console.print(text, highlight=False, soft_wrap=True)

    def handle(self, event: Event) -> None:
        """Announce the run; summarise it at the end."""
        if isinstance(event, RunStarted):
            self.console.print(f"conformance: {event.case_count} cases against {event.target}")
        elif isinstance(event, Notice):
            self._line(
                f"[yellow]conformance: warning:[/] {escape(event.text)}",
            )
        elif isinstance(event, RunFinished):
            self._summary(event)

    def _summary(self, event: RunFinished) -> None:
        """The per-area table, then the failures worth reading."""
        counts: dict[str, dict[Verdict, int]] = defaultdict(lambda: defaultdict(int))
        for result in event.requirements:
            counts[result.requirement.area][result.verdict] += 1
        table = Table(title="Requirements by area")
        table.add_column("area")
        for verdict in Verdict:
            table.add_column(verdict.value, justify="right", style=_STYLE[verdict])
        for area in (a for a in AREAS if a in counts):
            table.add_row(area, *(str(counts[area][v]) for v in Verdict))
        self.console.print(table)
        for result in event.requirements:
            if result.verdict in {Verdict.FAIL, Verdict.TIMEOUT, Verdict.ERROR}:
                gate = f" (not gating: {result.ungated_why})" if result.ungated_why else ""
                first = result.reason.splitlines()[0] if result.reason else ""
                self._line(
                    f"[{_STYLE[result.verdict]}]{result.verdict.value.upper()}[/] "
                    f"{result.requirement.id} {result.requirement.level.value}"
                    f"{escape(gate)}: {escape(first)}",
                )
            elif result.stale_waiver:
                self._line(
                    f"[red]STALE WAIVER[/] {result.requirement.id} passes now; remove it from "
                    f"the known-failing file ({escape(result.waiver or '')})",
                )
            elif result.deviation_not_seen:
                self._line(
                    f"[yellow]DEVIATION NOT SEEN[/] {result.requirement.id} passes now; the "
                    f"documented deviation ({escape(result.deviation or '')}) may be gone",
                )
        for blocker, blocked in blocked_groups(event.requirements).items():
            self._line(
                f"[yellow]BLOCKED[/] by {blocker}: {len(blocked)} not judged "
                f"({', '.join(blocked)})",
            )
        seconds = (event.finished - event.started).total_seconds()
        verdict_line = {
            Outcome.PASSED: "[green]PASSED[/]",
            Outcome.FAILED: "[red]FAILED[/]",
            Outcome.HARNESS_ERROR: "[magenta]HARNESS ERROR[/]",
        }[event.outcome]
        refused = sum(event.rate_limited.values())
        waited = f", {refused} rate-limited answers (429) waited out" if refused else ""
        self._line(f"cost: {escape(cost.describe(event.cost))}")
        self.console.print(f"{verdict_line} in {seconds:.1f} s{waited}", highlight=False)
