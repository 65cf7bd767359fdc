"""NDJSON events: one JSON line per case start and finish, flushed as they happen, for tools.

The file is a live log, so it is written in place (not renamed into place at the end): it is
truncated when the run starts, and removed by the run's isolation when writing it fails."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from conformance.run.events import CaseFinished, CaseStarted, Event, RunFinished, RunStarted


class EventsWriter:
    """Appends each event to a file the moment it happens."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._out: IO[str] | None = None

    def _write(self, kind: str, **fields: Any) -> None:
        if self._out is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._out = self.path.open("w", encoding="utf-8")
        record = {"event": kind, "at": datetime.now(UTC).isoformat(), **fields}
        try:
            self._out.write(json.dumps(record) + "\n")
            self._out.flush()
        except BaseException:
            self._out.close()
            raise

    def handle(self, event: Event) -> None:
        """One line per event; the file opens when the run starts and closes when it finishes."""
        if isinstance(event, RunStarted):
            self._write("run_started", target=event.target, cases=event.case_count)
        elif isinstance(event, CaseStarted):
            self._write("case_started", case=event.name, requirement=event.requirement_id)
        elif isinstance(event, CaseFinished):
            result = event.result
            self._write(
                "case_finished",
                case=result.name,
                requirement=result.requirement_id,
                verdict=result.verdict.value,
                reason=result.reason,
                duration=result.duration,
            )
        elif isinstance(event, RunFinished):
            self._write(
                "run_finished",
                outcome=event.outcome.value,
                requirements={r.requirement.id: r.verdict.value for r in event.requirements},
            )
            if self._out is not None:
                self._out.close()
