"""Live progress: a rich progress bar on a terminal, plain lines in CI or a pipe."""

from __future__ import annotations

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from conformance.run.events import CaseFinished, Event, RunFinished, RunStarted
from conformance.run.verdicts import BROKEN


class ProgressDisplay:
    """Shows cases finishing; only failures get a line of their own when not on a terminal."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self._progress: Progress | None = None
        self._task = TaskID(0)

    def handle(self, event: Event) -> None:
        """Start, advance and stop the display."""
        if isinstance(event, RunStarted) and self.console.is_terminal:
            self._progress = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=self.console,
                transient=True,
            )
            self._task = self._progress.add_task("cases", total=event.case_count)
            self._progress.start()
        elif isinstance(event, CaseFinished):
            result = event.result
            if self._progress is not None:
                self._progress.advance(self._task)
            elif result.verdict in BROKEN:
                self.console.print(
                    f"{result.verdict.value}: {result.name} ({result.requirement_id})",
                    markup=False,
                    highlight=False,
                )
        elif isinstance(event, RunFinished) and self._progress is not None:
            self._progress.stop()
            self._progress = None
