"""The tool exits even when a task left behind refuses to be cancelled."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import time

import pytest

from conformance.run import loop


async def _stubborn(started: asyncio.Event) -> None:
    """A library-style task that swallows its cancellation and waits on."""
    started.set()
    forever = asyncio.get_running_loop().create_future()
    while True:
        try:
            await asyncio.shield(forever)
        except asyncio.CancelledError:
            continue


async def _leave_behind() -> str:
    started = asyncio.Event()
    asyncio.get_running_loop().create_task(_stubborn(started))
    await asyncio.wait_for(started.wait(), 5)
    return "done"


def test_a_task_ignoring_cancellation_is_abandoned_within_the_teardown(
    caplog: pytest.LogCaptureFixture,
) -> None:
    began = time.monotonic()
    with caplog.at_level(logging.WARNING, logger="conformance"):
        assert loop.run(_leave_behind(), teardown=0.2) == "done"
    assert time.monotonic() - began < 3
    assert "1 task(s) ignored cancellation for 0.2 s" in caplog.text
    assert "_stubborn" in caplog.text


def test_cooperative_leftovers_are_cancelled_quietly(caplog: pytest.LogCaptureFixture) -> None:
    async def main() -> int:
        asyncio.get_running_loop().create_task(asyncio.sleep(3600))
        return 7

    with caplog.at_level(logging.WARNING, logger="conformance"):
        assert loop.run(main(), teardown=5) == 7
    assert caplog.text == ""


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT])
def test_a_stop_signal_cancels_the_run_after_which_its_finally_blocks_ran(
    stop: signal.Signals,
) -> None:
    unwound: list[str] = []
    before = signal.getsignal(stop)

    async def main() -> None:
        try:
            os.kill(os.getpid(), stop)
            async with asyncio.timeout(10):  # the cancellation is the event awaited
                await asyncio.Event().wait()
        finally:
            unwound.append("cleanup ran")

    with pytest.raises(loop.Interrupted) as stopped:
        loop.run(main(), teardown=1)
    assert stopped.value.signum == stop
    assert unwound == ["cleanup ran"]
    assert signal.getsignal(stop) is before
