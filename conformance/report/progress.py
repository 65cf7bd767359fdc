"""Live progress: a rich progress bar on a terminal, plain lines in CI or a pipe; near the end,
the cases still running (often the callback retry cases, waiting out the target's schedule)."""

from __future__ import annotations

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from conformance.run.events import CaseFinished, CaseStarted, Event, RunFinished, RunStarted
from conformance.run.verdicts import BROKEN

NEAR_THE_END = 5
"""Cases still running at most when the display starts naming them."""


class ProgressDisplay:
    """Shows cases finishing; only failures get a line of their own when not on a terminal,
    and, near the end, the cases still running."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self._progress: Progress | None = None
        self._task = TaskID(0)
        self._planned = 0
        self._started = 0
        self._running: dict[str, None] = {}
        """Names of the cases running, in the order they started."""
        self._told = -1

    def handle(self, event: Event) -> None:
        """Start, advance and stop the display."""
        if isinstance(event, RunStarted):
            self._planned = event.case_count
            if self.console.is_terminal:
                self._start(event.case_count)
        elif isinstance(event, CaseStarted):
            self._started += 1
            self._running[event.name] = None
        elif isinstance(event, CaseFinished):
            result = event.result
            self._running.pop(result.name, None)
            if self._progress is not None:
                self._progress.update(self._task, advance=1, description=self._describe())
            elif result.verdict in BROKEN:
                self._print(f"{result.verdict.value}: {result.name} ({result.requirement_id})")
            self._tell_running()
        elif isinstance(event, RunFinished) and self._progress is not None:
            self._progress.stop()
            self._progress = None

    def _start(self, total: int) -> None:
        self._progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            console=self.console,
            transient=True,
        )
        self._task = self._progress.add_task("cases", total=total)
        self._progress.start()

    def _near_the_end(self) -> bool:
        """Every case has started and only a few are still running."""
        return self._started >= self._planned and 0 < len(self._running) <= NEAR_THE_END

    def _describe(self) -> str:
        """The bar's label: 'cases', or near the end the names of those still running."""
        if not self._near_the_end():
            return "cases"
        return "waiting for " + ", ".join(self._running)

    def _tell_running(self) -> None:
        """In a CI log, a line naming the cases still running each time fewer are left."""
        if self._progress is not None or not self._near_the_end():
            return
        if len(self._running) != self._told:
            self._told = len(self._running)
            self._print(f"still running ({self._told}): {', '.join(self._running)}")

    def _print(self, text: str) -> None:
        """One line, never folded."""
        self.console.print(text, markup=False, highlight=False, soft_wrap=True)
