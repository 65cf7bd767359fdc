"""The reference server's callbacks: URL checks at request time, asynchronous delivery."""

from __future__ import annotations

import asyncio

import pytest

from conformance.reference.callbacks import Callback, Courier, parse_callback
from conformance.reference.errors import ApiError
from conformance.reference.settings import Settings
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
        "not a url", "http://[::1/",
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
