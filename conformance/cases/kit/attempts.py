"""Callback attempts as evidence: when each came after the request, how the receiver answered
it, and its spacing against the declared retry delay, judged once for the report and the case."""

from __future__ import annotations

from typing import Any

from conformance.wire.mailbox import Mailbox

EARLY = "early"
LATE = "late"
EXCUSED = "excused"
"""Early, but straight after a long spacing: the receiver saw the previous attempt late."""


def lagged(spacings: list[float], n: int, early: float) -> bool:
    """Whether a short spacing only follows a long one (the receiver saw the attempt late)."""
    return n > 0 and spacings[n - 1] >= early and spacings[n - 1] + spacings[n] >= 2 * early


def flags(spacings: list[float], bounds: tuple[float, float]) -> list[str | None]:
    """Per spacing: None when within the bounds, else EARLY, EXCUSED or LATE."""
    early, late = bounds
    out: list[str | None] = []
    for n, gap in enumerate(spacings):
        if gap < early:
            out.append(EXCUSED if lagged(spacings, n, early) else EARLY)
        else:
            out.append(LATE if gap > late else None)
    return out


def timeline(
    box: Mailbox, delay: float | None, bounds: tuple[float, float] | None
) -> dict[str, Any]:
    """Every attempt at the mailbox so far, as report.json's evidence.callbacks entry; delay and
    bounds are None where attempts are not retries (streaming messages)."""
    spacings = box.spacings()
    flagged = flags(spacings, bounds) if bounds is not None else [None] * len(spacings)
    attempts = []
    for n, delivery in enumerate(box.deliveries):
        ended = delivery.ended_at
        attempts.append(
            {
                "attempt": n + 1,
                "method": delivery.method,
                "at": round(delivery.arrived - box.opened, 4),
                "held": None if ended is None else round(ended - delivery.arrived, 4),
                "spacing": round(spacings[n - 1], 4) if n else None,
                "answer": delivery.answer,
                "flag": flagged[n - 1] if n else None,
            }
        )
    return {
        "path": box.path,
        "declared_delay": delay,
        "bounds": None if bounds is None else [round(b, 4) for b in bounds],
        "attempts": attempts,
    }
