"""The callbacks of a load run, on the command's side (asyncio, never gevent).

Where the receiver runs: in the command process, one for the whole run (the suite's own,
conformance/wire/receiver.py, on port 8080 or --callback-public-url), not one per worker. The
target delivers to one URL whatever machine sent the request, so the workers (here or on other
machines, which need not be reachable from the target) only send: each request's callback URL
carries a tag of its own, the worker reports the tag with the request's verdict, and once the
swarm has ended the command matches the deliveries to the requests by tag and judges them
(rest.py). Clocks must be in sync across machines, as for the streams.
"""

from __future__ import annotations

import contextlib
import time
from collections import defaultdict
from collections.abc import AsyncIterator
from typing import Any

from conformance.load import rest
from conformance.wire.mailbox import Mailbox
from conformance.wire.receiver import Receiver


class Inbox:
    """The run's one callback mailbox, and how its deliveries are matched and judged."""

    def __init__(self, box: Mailbox) -> None:
        self.box = box

    @property
    def url(self) -> str:
        """The callback URL every request names (with its own tag added)."""
        return self.box.url

    def _arrivals(self) -> dict[str, list[rest.Arrival]]:
        """Every delivery so far, by the tag of the request it answers (wall-clock times)."""
        shift = time.time() - time.monotonic()
        out: dict[str, list[rest.Arrival]] = defaultdict(list)
        for d in self.box.deliveries:
            arrival = rest.Arrival(d.query, d.content_type, d.body, d.arrived + shift)
            tag = rest.tag_of(arrival)
            if tag is not None:
                out[tag].append(arrival)
        return out

    async def judge(self, requests: list[dict[str, Any]], deadline: float) -> None:
        """Wait (within `deadline` of the last accepted request) for a delivery to every
        accepted request, then judge each request's deliveries into its verdict."""
        accepted = [r for r in requests if _accepted(r)]
        if not accepted:
            return
        until = max(r["sent_at"] for r in accepted) + deadline
        missing = {r["tag"] for r in accepted} - self._arrivals().keys()
        while missing and (left := until - time.time()) > 0:
            if not await self.box.wait_for(len(self.box.deliveries) + 1, left):
                break
            missing -= self._arrivals().keys()
        arrivals = self._arrivals()
        for record in requests:
            verdict = rest.RequestVerdict(**record)
            rest.delivered(verdict, arrivals.get(record["tag"] or "", []), deadline)
            record.update(judged=verdict.judged, failed=verdict.failed,
                          delivered_after=verdict.delivered_after)  # fmt: skip


def _accepted(record: dict[str, Any]) -> bool:
    """A request with a callback that the target accepted."""
    judged, failed = record["judged"], record["failed"]
    return record["tag"] is not None and rest.ACCEPTED in judged and rest.ACCEPTED not in failed


@contextlib.asynccontextmanager
async def inbox(
    wanted: bool,
    host: str,
    public_url: str | None,
    start: float,
    stop: float,
) -> AsyncIterator[Inbox | None]:
    """The receiver for the block when callbacks are wanted (else None)."""
    if not wanted:
        yield None
        return
    receiver = Receiver(host, public_url, start, stop, reachable_from_target=True)
    await receiver.start()
    try:
        yield Inbox(receiver.mailbox("load"))
    finally:
        await receiver.stop()
