"""The shape most writers share: remember how the run started, write once it has finished."""

from __future__ import annotations

from pathlib import Path

from conformance.report.files import write_atomically
from conformance.report.view import RunView
from conformance.run.events import Event, RunFinished, RunStarted


class WriteAtFinish:
    """A handler that renders one text file from the whole run, when the run finishes."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._start: RunStarted | None = None

    def handle(self, event: Event) -> None:
        """Remember the start; render the run's view and write it (atomically) at the finish."""
        if isinstance(event, RunStarted):
            self._start = event
        elif isinstance(event, RunFinished) and self._start is not None:
            text = self.render(RunView.of(self._start, event))
            if self.path is not None:
                write_atomically(self.path, text.encode("utf-8"))
            self.written(text)

    def render(self, view: RunView) -> str:
        """The file's text."""
        raise NotImplementedError

    def written(self, text: str) -> None:
        """Called after writing, for writers with a second destination."""
