"""The REST load-only fault: a deviation the server shows only while pre-recorded requests come
fast, so that `conformance load --listen-rate` has something to find that `conformance run`
cannot.

The measure is the arrival rate (POST /v1/listen requests in the last second, every tenant's),
not the requests in flight: the reference answers in milliseconds, so its requests in flight stay
near zero at any rate a test can afford, while the rate is what a load run sets. The default
threshold is above the pre-recorded requests of a whole default run (about 170).
"""

from __future__ import annotations

import os
import time
from collections import deque

from ..model.faults import Fault
from ..model.settings import Settings

THRESHOLD_ENV = "CONFORMANCE_REFERENCE_LOAD_REQUESTS"
"""Environment variable: the load-only REST faults act while more pre-recorded requests than
this arrived within the last second."""
DEFAULT_THRESHOLD = 200
WINDOW = 1.0
"""Seconds over which arrivals are counted."""

_arrivals: deque[float] = deque()


def threshold() -> int:
    """Pre-recorded requests per second beyond which the load-only REST faults act."""
    return int(os.environ.get(THRESHOLD_ENV, DEFAULT_THRESHOLD))


def arrived() -> int:
    """Count one pre-recorded request as arrived now; the arrivals within the last second."""
    now = time.monotonic()
    _arrivals.append(now)
    while _arrivals and _arrivals[0] <= now - WINDOW:
        _arrivals.popleft()
    return len(_arrivals)


def drops_callback(settings: Settings, recent: int) -> bool:
    """load-drops-callbacks: this request's callback is never delivered (`recent`: arrivals in
    the last second, this one included)."""
    return settings.has(Fault.LOAD_DROPS_CALLBACKS) and recent > threshold()
