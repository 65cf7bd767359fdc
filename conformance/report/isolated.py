"""Isolation of outputs: one report that cannot be written stops neither the run nor the others."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from conformance.report.files import remove_stale
from conformance.run.events import Event, Handler


class Isolated:
    """Forwards events to one output until it raises; then keeps why, removes the files it would
    have written (so none from an earlier run is left beside the new report.json), and ignores
    the rest of the run."""

    def __init__(self, name: str, output: Handler, files: Sequence[Path] = ()) -> None:
        self.name = name
        self.output = output
        self.files = tuple(files)
        self.failure = ""
        """Why the output was not written, in one line ('' while it has not failed)."""

    def handle(self, event: Event) -> None:
        """Pass the event on, unless the output failed before; a failure here is recorded."""
        if self.failure:
            return
        try:
            self.output.handle(event)
        except Exception as exc:  # any output's bug or I/O error, so the others still write
            self.failure = one_line(f"{type(exc).__name__}: {exc}")
            for path in self.files:
                if left := remove_stale(path):
                    self.failure += f"; {left}"


def one_line(text: str) -> str:
    """Text folded to a single line, for stderr."""
    return " ".join(text.split())


def failures(outputs: Sequence[Isolated]) -> list[str]:
    """One line per output that was not written: its name and why."""
    return [f"{o.name} not written: {o.failure}" for o in outputs if o.failure]
