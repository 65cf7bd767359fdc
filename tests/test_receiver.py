"""The callback receiver: per-case paths, recording, scripted answers, event waits."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Awaitable, Callable

import httpx
import pytest

from conformance.redact import Redactor
from conformance.wire.receiver import CLOSE, HANG, Receiver


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


def test_scripted_statuses_are_recorded_per_mailbox() -> None:
    async def body(receiver: Receiver) -> None:
        first = receiver.mailbox("one", [500, 503])
        second = receiver.mailbox("two")
        assert first.path != second.path
        async with httpx.AsyncClient() as client:
            answers = [
                (await client.post(first.url, content=b"x", params={"a": "1"})).status_code
                for _ in range(3)
            ]
            put = await client.put(second.url, content=b"{}", headers={"dg-token": "id"})
        assert answers == [500, 503, 200]
        assert put.status_code == 200
        assert [d.method for d in first.deliveries] == ["POST"] * 3
        assert first.deliveries[0].query == "a=1"
        assert [d.method for d in second.deliveries] == ["PUT"]
        assert second.deliveries[0].headers["dg-token"] == "id"
        assert len(first.spacings()) == 2
        assert all(gap >= 0 for gap in first.spacings())

    with_receiver(body)


def test_userinfo_is_in_the_url_and_redacted_in_evidence() -> None:
    async def body(receiver: Receiver) -> None:
        box = receiver.mailbox("basic", userinfo=("user", "s3cret-pass"))
        assert box.url.startswith("http://user:s3cret-pass@")
        async with httpx.AsyncClient() as client:
            await client.post(box.url, content=b"{}")
        header = box.deliveries[0].headers["authorization"]
        assert header == "Basic " + base64.b64encode(b"user:s3cret-pass").decode()
        evidence = box.deliveries[0].exchange(receiver.base_url, Redactor(["s3cret-pass"]))
        assert "s3cret-pass" not in str(evidence.evidence())

    with_receiver(body)


def test_wait_has_a_deadline_and_wakes_on_arrival() -> None:
    async def body(receiver: Receiver) -> None:
        box = receiver.mailbox("wait")
        assert not await box.wait_for(1, 0.05)
        async with httpx.AsyncClient() as client:
            waiting = asyncio.ensure_future(box.wait_for(1, 5))
            await client.post(box.url, content=b"")
            assert await waiting

    with_receiver(body)


def test_hang_holds_until_the_sender_gives_up_and_close_drops() -> None:
    async def body(receiver: Receiver) -> None:
        box = receiver.mailbox("rude", [HANG, CLOSE])
        async with httpx.AsyncClient() as client:
            with pytest.raises(httpx.ReadTimeout):
                await client.post(box.url, content=b"", timeout=0.2)
            await asyncio.wait_for(box.deliveries[0].ended.wait(), 5)
            with pytest.raises(httpx.RemoteProtocolError):
                await client.post(box.url, content=b"")
        assert [d.answer for d in box.deliveries] == [HANG, CLOSE]

    with_receiver(body)


def test_unknown_callback_path_is_404() -> None:
    async def body(receiver: Receiver) -> None:
        async with httpx.AsyncClient() as client:
            answer = await client.post(f"{receiver.local_url}/callback/nobody", content=b"")
        assert answer.status_code == 404

    with_receiver(body)
