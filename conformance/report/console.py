"""The terminal summary: a table per area and one line per failed requirement."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from conformance.report.view import RunView
from conformance.run.events import Event, Notice, RunFinished, RunStarted
from conformance.run.verdicts import BROKEN, Outcome, Verdict
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
        self._start: RunStarted | None = None

    def _line(self, text: str) -> None:
        """Print one line as written: no highlighting, never folded (IDs stay greppable)."""
        self.console.print(text, highlight=False, soft_wrap=True)

    def handle(self, event: Event) -> None:
        """Announce the run; summarise it at the end."""
        if isinstance(event, RunStarted):
            self._start = event
            self.console.print(f"conformance: {event.case_count} cases against {event.target}")
        elif isinstance(event, Notice):
            self._line(
                f"[yellow]conformance: warning:[/] {escape(event.text)}",
            )
        elif isinstance(event, RunFinished) and self._start is not None:
            self._summary(RunView.of(self._start, event))

    def _summary(self, view: RunView) -> None:
        """The per-area table, then the failures worth reading."""
        table = Table(title="Requirements by area")
        table.add_column("area")
        for verdict in Verdict:
            table.add_column(verdict.value, justify="right", style=_STYLE[verdict])
        for area in view.areas:
            table.add_row(area.name, *(str(area.counts[v]) for v in Verdict))
        self.console.print(table)
        for result in view.requirements:
            if result.verdict in BROKEN:
                gate = f" (not gating: {result.ungated_why})" if result.ungated_why else ""
                first = result.reason.splitlines()[0] if result.reason else ""
                self._line(
                    f"[{_STYLE[result.verdict]}]{result.verdict.value.upper()}[/] "
                    f"{result.requirement.id} {result.requirement.level.value}"
                    f"{escape(gate)}: {escape(first)}",
                )
            elif result.stale_waiver:
                self._line(f"[red]STALE WAIVER[/] {escape(result.stale_waiver_line)}")
            elif result.deviation_not_seen:
                self._line(
                    f"[yellow]DEVIATION NOT SEEN[/] {result.requirement.id} passes now; the "
                    f"documented deviation ({escape(result.deviation or '')}) may be gone",
                )
        for blocker, blocked in view.blocked.items():
            self._line(
                f"[yellow]BLOCKED[/] by {blocker}: {len(blocked)} not judged "
                f"({', '.join(blocked)})",
            )
        for proven in view.proof.areas:
            for group in proven.groups:
                self._line(f"[yellow]NOT VERIFIED[/] {escape(group.describe(proven.name))}")
        for unproven in view.proof.unproven:
            style = "yellow" if unproven.allowed else "red"
            self._line(f"[{style}]UNVERIFIED CAPABILITY[/] {escape(unproven.describe())}")
        verdict_line = {
            Outcome.PASSED: "[green]PASSED[/]",
            Outcome.FAILED: "[red]FAILED[/]",
            Outcome.HARNESS_ERROR: "[magenta]HARNESS ERROR[/]",
        }[view.outcome]
        if view.interrupted:
            verdict_line = "[yellow]INTERRUPTED[/]"
        refused = view.rate_limited_total
        waited = f", {refused} rate-limited answers (429) waited out" if refused else ""
        self._line(f"cost: {escape(cost.describe(view.cost))}")
        self._line(f"{verdict_line} in {view.seconds:.1f} s{waited}: {escape(view.headline)}")
