"""NDJSON events: one JSON line per case start and finish, flushed as they happen, for tools."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from ..events import CaseFinished, CaseStarted, Event, RunFinished, RunStarted


class EventsWriter:
    """Appends each event to a file the moment it happens."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._out: IO[str] = path.open("w", encoding="utf-8")

    def _write(self, kind: str, **fields: Any) -> None:
        record = {"event": kind, "at": datetime.now(UTC).isoformat(), **fields}
        self._out.write(json.dumps(record) + "\n")
        self._out.flush()

    def handle(self, event: Event) -> None:
        """One line per event; the file closes when the run finishes."""
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
            self._out.close()
