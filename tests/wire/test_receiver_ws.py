"""The receiver's WebSocket callback endpoint: text and binary frames, the scripted CLOSE."""

from __future__ import annotations

import asyncio

from receiving import with_receiver
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from conformance.wire.mailbox import CLOSE
from conformance.wire.receiver import Receiver

DEADLINE = 5.0
"""Seconds any wait of these tests may take."""


def _ws(url: str) -> str:
    """A mailbox URL as a WebSocket URL."""
    return "ws" + url.removeprefix("http")


def test_text_and_binary_frames_are_each_a_delivery() -> None:
    async def body(receiver: Receiver) -> None:
        box = receiver.mailbox("ws")
        async with connect(_ws(box.url) + "?k=v", additional_headers={"dg-token": "id"}) as ws:
            await ws.send('{"type": "Results"}')
            await ws.send(b'{"type": "Metadata"}')
            assert await box.wait_for(2, DEADLINE)
        first, second = box.deliveries
        assert (first.method, first.body) == ("WEBSOCKET", b'{"type": "Results"}')
        assert (second.method, second.body) == ("WEBSOCKET BINARY", b'{"type": "Metadata"}')
        assert first.query == "k=v" and first.headers["dg-token"] == "id"
        assert first.arrived <= second.arrived and first.ended.is_set()

    with_receiver(body)


def test_scripted_close_drops_the_connection_after_that_frame() -> None:
    async def body(receiver: Receiver) -> None:
        box = receiver.mailbox("ws-kill", [200, CLOSE])
        async with connect(_ws(box.url)) as ws:
            await ws.send("one")
            await ws.send("two")
            async with asyncio.timeout(DEADLINE):
                await ws.wait_closed()
            assert ws.close_code == 1001
        assert [d.answer for d in box.deliveries] == [101, CLOSE]
        assert [d.body for d in box.deliveries] == [b"one", b"two"]

    with_receiver(body)


def test_unknown_websocket_path_is_refused() -> None:
    async def body(receiver: Receiver) -> None:
        try:
            async with connect(_ws(receiver.base_url) + "/callback/nobody"):
                raise AssertionError("the upgrade to an unknown mailbox was accepted")
        except InvalidStatus as refused:
            assert refused.response.status_code == 403

    with_receiver(body)
