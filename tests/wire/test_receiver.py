"""The callback receiver: per-case paths, recording, scripted answers, event waits."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import ipaddress
import socket
from urllib.parse import urlsplit

import httpx
import pytest
from receiving import with_receiver

from conformance.errors import UsageError
from conformance.wire.mailbox import CLOSE, HANG
from conformance.wire.receiver import Receiver
from conformance.wire.redact import Redactor
from conformance.wire.serving import PREFERRED_PORT


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


def test_close_drops_the_connection_before_any_byte() -> None:
    async def body(receiver: Receiver) -> None:
        box = receiver.mailbox("drop", [CLOSE])
        parts = urlsplit(receiver.local_url)
        reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
        request = f"POST {box.path} HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{{}}"
        writer.write(request.encode())
        await writer.drain()
        assert await asyncio.wait_for(reader.read(), 5) == b""
        writer.close()
        assert [d.answer for d in box.deliveries] == [CLOSE]
        assert box.deliveries[0].body == b"{}"

    with_receiver(body)


def test_a_door_refuses_connections_until_it_opens() -> None:
    async def body(receiver: Receiver) -> None:
        behind = receiver.behind_door("refused")
        assert behind is not None
        box, door = behind
        assert urlsplit(box.url).hostname != urlsplit(receiver.local_url).hostname
        async with httpx.AsyncClient() as client:
            with pytest.raises(httpx.ConnectError):
                await client.post(box.url, content=b"{}")
            door.open()
            assert (await client.post(box.url, content=b"{}")).status_code == 200
        assert len(box.deliveries) == 1

    with_receiver(body)


def test_public_url_path_prefix_is_routed() -> None:
    """On a loopback address of its own: behind a public URL the receiver takes exactly
    --callback-host's 8080, which other tests' receivers on 127.0.0.1 may hold."""

    async def run() -> None:
        receiver = Receiver(
            "127.0.0.246", "https://tunnel.example/x/", 10, 5, reachable_from_target=True
        )
        await receiver.start()
        try:
            box = receiver.mailbox("prefixed")
            assert box.url.startswith("https://tunnel.example/x/callback/prefixed-")
            async with httpx.AsyncClient() as client:
                delivered = await client.post(receiver.local_url + box.path, content=b"{}")
                clip = await client.get(receiver.local_url + "/x/audio/mono.wav")
                bare = await client.get(receiver.local_url + "/audio/mono.wav")
            assert delivered.status_code == 200
            assert len(box.deliveries) == 1
            assert (clip.status_code, bare.status_code) == (200, 200)
            assert receiver.audio_url("mono") == "https://tunnel.example/x/audio/mono.wav"
            assert not receiver.strays
        finally:
            await receiver.stop()

    asyncio.run(run())


@pytest.mark.parametrize(("host", "address"), [("localhost", "127.0.0.1"), ("127.0.0.250",) * 2])
def test_a_taken_loopback_host_falls_back_to_another_loopback_address(
    host: str, address: str
) -> None:
    blocker = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    blocker.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # past a lingering TIME_WAIT
    with contextlib.suppress(OSError):  # already listened on by someone else: the same situation
        blocker.bind((address, PREFERRED_PORT))
        blocker.listen(1)  # only a listener keeps the receiver's socket off the address
    try:

        async def run() -> str:
            receiver = Receiver(host, None, 10, 5, reachable_from_target=True)
            await receiver.start()
            await receiver.stop()
            return receiver.local_url

        bound = urlsplit(asyncio.run(run())).hostname or ""
        assert bound != address
        assert ipaddress.ip_address(bound).is_loopback
    finally:
        blocker.close()


def test_a_run_right_after_another_gets_the_public_url_s_address_again() -> None:
    """The connection a target kept alive to the last run's receiver lingers on 8080 once that
    run stops (FIN-WAIT-2, then TIME_WAIT): the next run still binds there, as the tunnel behind
    --callback-public-url expects, instead of failing every delivery for a minute."""
    host = "127.0.0.249"

    async def run() -> list[str]:
        bound = []
        async with httpx.AsyncClient() as kept_alive:  # a target's pooled delivery client
            for _ in range(2):
                receiver = Receiver(host, f"http://{host}:8080", 10, 5, reachable_from_target=True)
                await receiver.start()
                bound.append(receiver.local_url)
                answer = await kept_alive.get(f"{receiver.local_url}/audio/phrase.wav")
                assert answer.status_code == 200
                await receiver.stop()
        return bound

    assert asyncio.run(run()) == [f"http://{host}:{PREFERRED_PORT}"] * 2


def test_a_taken_host_behind_a_public_url_is_said_at_once() -> None:
    host = "127.0.0.248"
    blocker = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    blocker.bind((host, PREFERRED_PORT))
    blocker.listen(1)
    try:
        receiver = Receiver(
            host, "https://tunnel.example.org/hooks", 10, 5, reachable_from_target=True
        )
        with pytest.raises(UsageError, match="where --callback-public-url leads"):
            asyncio.run(receiver.start())
    finally:
        blocker.close()
