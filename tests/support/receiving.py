"""The suite's callback receiver started for a test body and stopped after it."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from conformance.wire.receiver import Receiver


def with_receiver(body: Callable[[Receiver], Awaitable[None]]) -> None:
    """Run an async test body against a started receiver, stopping it afterwards."""

    async def run() -> None:
        receiver = Receiver("127.0.0.1", None, 10, 5, reachable_from_target=True)
        await receiver.start()
        try:
            await body(receiver)
        finally:
            await receiver.stop()

    asyncio.run(run())
