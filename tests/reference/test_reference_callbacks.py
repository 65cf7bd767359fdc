"""The reference server's callbacks: URL checks at request time, asynchronous delivery."""

from __future__ import annotations

import asyncio
import json
import socket
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from receiving import with_receiver

from conformance.reference import create_app
from conformance.reference.model.errors import ApiError
from conformance.reference.model.settings import DEFAULT_API_KEY, Settings
from conformance.reference.rest.callbacks import Callback, Courier, parse_callback
from conformance.reference.serving import running
from conformance.wire import audio
from conformance.wire.receiver import Receiver

OPEN = Settings(allow_private_callbacks=True, retry_delay=0.01, retry_count=3)


def parse(url: str, settings: Settings = OPEN, kind: str = "listen", **extra: str) -> Callback:
    query = [("callback", url), *extra.items()]
    result = asyncio.run(parse_callback(query, kind, settings))  # type: ignore[arg-type]
    assert result is not None
    return result


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/x",
        "https://127.0.0.1/x",
        "http://127.0.0.1:80/",
        "https://127.0.0.1:443/",
        "http://127.0.0.1:8080/",
        "https://127.0.0.1:8443/",
    ],
)
def test_allowed_ports(url: str) -> None:
    assert parse(url).method == "POST"


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:81/", "http://127.0.0.1:8081/", "https://127.0.0.1:8444/",
        "ws://127.0.0.1:8080/", "wss://127.0.0.1/", "ftp://127.0.0.1/", "file:///etc/passwd",
        "not a url", "http://[::1/", "http://127.0.0.1:0/x",
    ],
)  # fmt: skip
def test_refused_urls(url: str) -> None:
    with pytest.raises(ApiError) as refused:
        parse(url)
    assert refused.value.status == 400


def test_private_addresses_refused_without_the_flag() -> None:
    with pytest.raises(ApiError, match="private or loopback"):
        parse("http://127.0.0.1:8080/x", Settings())


@pytest.mark.parametrize(("value", "method"), [("put", "PUT"), ("PUT", "PUT"), ("Post", "POST")])
def test_callback_method(value: str, method: str) -> None:
    assert parse("http://127.0.0.1/x", callback_method=value).method == method


def test_bad_callback_method_refused() -> None:
    with pytest.raises(ApiError):
        parse("http://127.0.0.1/x", callback_method="patch")


def test_userinfo_becomes_basic_auth_not_part_of_the_url() -> None:
    callback = parse("http://user:pa%40ss@127.0.0.1:8080/x")
    assert "user" not in callback.target(OPEN)
    assert callback.headers("key-id", OPEN) == {
        "dg-token": "key-id",
        "Authorization": "Basic dXNlcjpwYUBzcw==",
    }


def test_delivery_retries_until_2xx_with_the_same_body() -> None:
    async def body() -> list[bytes]:
        receiver = Receiver("127.0.0.1", None, 10, 5, reachable_from_target=True)
        await receiver.start()
        try:
            box = receiver.mailbox("courier", [500, 503, 204])
            Courier(OPEN).send(Callback(box.url, "PUT"), b"{}", "application/json", "kid")
            assert await box.wait_for(3, 5)
            assert not await box.wait_for(4, 0.2)
            assert {d.method for d in box.deliveries} == {"PUT"}
            return [d.body for d in box.deliveries]
        finally:
            await receiver.stop()

    assert asyncio.run(body()) == [b"{}"] * 3


def test_delivery_gives_up_after_the_retries() -> None:
    async def body() -> int:
        receiver = Receiver("127.0.0.1", None, 10, 5, reachable_from_target=True)
        await receiver.start()
        try:
            box = receiver.mailbox("courier", [500] * 10)
            Courier(OPEN).send(Callback(box.url, "POST"), b"a", "audio/wav", "kid")
            await box.wait_for(10, 0.5)
            return len(box.deliveries)
        finally:
            await receiver.stop()

    assert asyncio.run(body()) == OPEN.retry_count + 1


def test_a_host_that_turns_private_after_the_check_gets_no_attempt(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """DNS rebinding: public when the request is checked, the receiver's loopback address when
    the courier attempts; no attempt may reach it (nothing ever connects to the public one)."""
    real = socket.getaddrinfo
    lookups: list[str] = []

    async def body(receiver: Receiver) -> None:
        local = urlsplit(receiver.local_url).hostname
        loop = asyncio.get_running_loop()
        resolved_twice = asyncio.Event()

        def fake(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
            if host not in ("rebind.test", b"rebind.test"):  # bytes: anyio's IDNA-encoded name
                return real(host, port, *args, **kwargs)
            lookups.append("public" if not lookups else "loopback")
            if len(lookups) == 2:
                loop.call_soon_threadsafe(resolved_twice.set)
            address = "93.184.215.14" if len(lookups) == 1 else local
            return [(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (address, port))]

        monkeypatch.setattr(socket, "getaddrinfo", fake)
        box = receiver.mailbox("rebind")
        settings = Settings(retry_delay=0.01, retry_count=1)
        query = [("callback", f"http://rebind.test:8080{box.path}")]
        callback = await parse_callback(query, "listen", settings)
        assert callback is not None
        Courier(settings).send(callback, b"{}", "application/json", "kid")
        await asyncio.wait_for(resolved_twice.wait(), 5)  # the check, then the first attempt
        assert not await box.wait_for(1, 0.3)

    with_receiver(body)
    assert lookups[:2] == ["public", "loopback"]


def test_a_callback_request_is_answered_before_its_audio_is_decoded() -> None:
    """Undecodable audio is accepted (it is checked only for being there), and the decoding
    error reaches the callback with the request_id of the answer; good audio is transcribed."""
    settings = Settings(allow_private_callbacks=True, retry_delay=0.01, retry_count=1)
    headers = {"Authorization": f"Token {DEFAULT_API_KEY}", "Content-Type": "audio/wav"}

    async def body(receiver: Receiver) -> None:
        bad, good = receiver.mailbox("bad"), receiver.mailbox("good")
        with running(create_app(settings)) as url:
            async with httpx.AsyncClient(base_url=url, headers=headers) as client:
                answers = [
                    await client.post("/v1/listen", params={"callback": box.url}, content=data)
                    for box, data in ((bad, b"not audio at all"), (good, audio.mono().wav))
                ]
                empty = await client.post("/v1/listen", params={"callback": bad.url})
            assert await bad.wait_for(1, 5) and await good.wait_for(1, 5)
        assert empty.status_code == 400
        ids = [answer.json()["request_id"] for answer in answers]
        error, transcription = (json.loads(box.deliveries[0].body) for box in (bad, good))
        assert (error["err_code"], error["request_id"]) == ("Bad Request", ids[0])
        assert transcription["metadata"]["request_id"] == ids[1]
        assert "results" in transcription

    with_receiver(body)
