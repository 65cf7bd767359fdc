"""asyncio.run with a bounded teardown: the tool must exit even when a library task left behind
ignores its cancellation (asyncio.run would wait for it forever)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import threading
from collections.abc import Coroutine, Iterator
from typing import Any, TypeVar

T = TypeVar("T")

log = logging.getLogger("conformance")


STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
"""Signals that stop a run: Ctrl-C, and what CI systems and `kill` send."""


class Interrupted(KeyboardInterrupt):
    """The run was stopped by a signal, after its own cleanup (the `finally` blocks) ran."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def run(main: Coroutine[Any, Any, T], teardown: float) -> T:
    """Run `main` on a new loop, a stop signal cancelling it (Interrupted once it has unwound);
    then cancel what it left running, waiting `teardown` seconds."""
    loop = asyncio.new_event_loop()
    try:
        asyncio.set_event_loop(loop)
        task = loop.create_task(main)
        received: list[int] = []
        with _cancelled_by_signals(loop, task, received):
            try:
                result = loop.run_until_complete(task)
            except asyncio.CancelledError:
                if received:
                    raise Interrupted(received[0]) from None
                raise
        if received:
            raise Interrupted(received[0])
        return result
    finally:
        try:
            _cancel_leftovers(loop, teardown)
            loop.run_until_complete(_bounded(loop.shutdown_asyncgens(), teardown))
        finally:
            asyncio.set_event_loop(None)
            loop.close()


@contextlib.contextmanager
def _cancelled_by_signals(
    loop: asyncio.AbstractEventLoop, task: asyncio.Task[Any], received: list[int]
) -> Iterator[None]:
    """While inside, the first stop signal cancels `task`, so its `finally` blocks (deleting
    the keys a run created) run; later ones are noted only, as that unwinding is bounded.
    Signals can only be handled on the main thread; elsewhere nothing changes."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum: int) -> None:
        received.append(signum)
        if len(received) == 1:
            task.cancel()

    previous = {signum: signal.getsignal(signum) for signum in STOP_SIGNALS}
    for signum in STOP_SIGNALS:
        loop.add_signal_handler(signum, stop, signum)
    try:
        yield
    finally:
        for signum, handler in previous.items():
            loop.remove_signal_handler(signum)
            if handler is not None:  # None: installed outside Python, left as it was
                signal.signal(signum, handler)


def _cancel_leftovers(loop: asyncio.AbstractEventLoop, teardown: float) -> None:
    """Cancel every task still pending and give them `teardown` seconds to end."""
    leftovers = [task for task in asyncio.all_tasks(loop) if not task.done()]
    if not leftovers:
        return
    for task in leftovers:
        task.cancel()
    _, stuck = loop.run_until_complete(asyncio.wait(leftovers, timeout=teardown))
    for task in leftovers:
        if task.done() and not task.cancelled() and task.exception() is not None:
            log.debug("a task left behind ended with %r", task.exception())
    if stuck:
        names = ", ".join(sorted(_describe(task) for task in stuck))
        log.warning(
            "%d task(s) ignored cancellation for %g s and were abandoned: %s",
            len(stuck),
            teardown,
            names,
        )


async def _bounded(awaitable: Coroutine[Any, Any, None], teardown: float) -> None:
    """Await a teardown step, giving up after `teardown` seconds."""
    try:
        await asyncio.wait_for(awaitable, teardown)
    except TimeoutError:
        log.warning("a teardown step took longer than %g s and was abandoned", teardown)


def _describe(task: asyncio.Task[Any]) -> str:
    """The coroutine a task runs and where it is suspended, for the abandonment warning."""
    coro: Any = task.get_coro()
    name = getattr(coro, "__qualname__", repr(coro))
    while getattr(coro, "cr_await", None) is not None:  # down to the innermost coroutine
        coro = coro.cr_await
    frame = getattr(coro, "cr_frame", None) or getattr(coro, "gi_frame", None)
    where = f" at {frame.f_code.co_filename}:{frame.f_lineno}" if frame is not None else ""
    return f"{name}{where}"
