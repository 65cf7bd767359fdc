"""A stream's idle deadline as one timer moved lazily, not a timer set and cancelled per frame.

Hundreds of streams each receive ten frames a second; arming and cancelling a timer around every
receive cost 6-15 us of the ~140 us the server spends on a frame. Here a frame only records the
time: the timer, when it fires, re-arms at the newest deadline and interrupts a receive only
once the deadline has really passed, exactly as a timeout around each receive would.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")


class IdleDeadline:
    """Ends a receive that waits past `seconds` after the last touch(); one per stream task."""

    def __init__(self, seconds: float) -> None:
        self._loop = asyncio.get_running_loop()
        self._task = asyncio.current_task()
        self._seconds = seconds
        self._deadline = self._loop.time() + seconds
        self._timer: asyncio.TimerHandle | None = None
        self._receiving = False
        self._expired = False

    def touch(self) -> None:
        """A frame came: the deadline moves (the timer catches up when it fires)."""
        self._deadline = self._loop.time() + self._seconds

    async def receive(self, receive: Callable[[], Awaitable[T]]) -> T | None:
        """receive()'s result, or None when the deadline passed while it waited."""
        assert self._task is not None
        cancelling = self._task.cancelling()
        self._receiving = True
        if self._timer is None:
            self._timer = self._loop.call_at(self._deadline, self._fire)
        try:
            return await receive()
        except asyncio.CancelledError:
            if self._expired and self._task.uncancel() <= cancelling:
                return None
            raise
        finally:
            self._receiving = self._expired = False

    def close(self) -> None:
        """The stream is over: drop the timer."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _fire(self) -> None:
        """Re-arm at the newest deadline, or interrupt the waiting receive once it has passed."""
        self._timer = None
        if self._loop.time() < self._deadline:
            self._timer = self._loop.call_at(self._deadline, self._fire)
        elif self._receiving and self._task is not None:
            self._expired = True
            self._task.cancel()
