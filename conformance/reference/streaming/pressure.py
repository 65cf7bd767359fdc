"""The load-only faults: deviations a server shows only while many streams are open, so that
`conformance load` has something to find that `conformance run`, a few streams at a time, cannot.

A process-wide count of the streams open now (every tenant's), compared with a threshold well
above what a run ever holds at once (its stream cap is 40).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from typing import Any, Protocol

from ..model.faults import Fault
from ..model.settings import Settings

THRESHOLD_ENV = "CONFORMANCE_REFERENCE_LOAD_STREAMS"
"""Environment variable: the load-only faults act while more streams than this are open."""
DEFAULT_THRESHOLD = 64

LOAD_ONLY = frozenset(
    {Fault.LOAD_DROPS_FINAL_METADATA, Fault.LOAD_STALLS_RESULTS, Fault.LOAD_DROPS_CALLBACKS}
)
"""Faults no requirement declares: the fault matrix runs one stream (and a few requests) at a
time and would see none of them; `conformance load` reports each under the requirement it
breaks. load-drops-callbacks is rest/pressure.py's."""

_open = 0


def threshold() -> int:
    """Streams open at once beyond which the load-only faults act."""
    return int(os.environ.get(THRESHOLD_ENV, DEFAULT_THRESHOLD))


@contextlib.contextmanager
def counted() -> Iterator[None]:
    """Count one stream as open for the block's length."""
    global _open
    _open += 1
    try:
        yield
    finally:
        _open -= 1


def _loaded(settings: Settings, fault: Fault) -> bool:
    """The fault is on and more streams than the threshold are open."""
    return settings.has(fault) and _open > threshold()


def drops_metadata(settings: Settings) -> bool:
    """load-drops-final-metadata: this shutdown sends no Metadata."""
    return _loaded(settings, Fault.LOAD_DROPS_FINAL_METADATA)


class Holding(Protocol):
    """What stalls() reads of a stream: its settings and the Results it holds back."""

    settings: Settings
    held: list[dict[str, Any]]


def stalls(stream: Holding) -> bool:
    """load-stalls-results: these Results wait for the end of the upload (as do all after
    them once some wait, so that they still go in order)."""
    if not stream.settings.has(Fault.LOAD_STALLS_RESULTS):
        return False
    return bool(stream.held) or _open > threshold()
