"""`conformance serve --tenants`: one process, a server of its own per /fault/ and /variant/
prefix, so the fault and variant matrices share a process and mean what they say."""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterator

import httpx
import pytest
from websockets.asyncio.client import connect

from conformance.reference.model.settings import DEFAULT_API_KEY, Settings
from conformance.reference.serving import running
from conformance.reference.tenants import create_tenants
from conformance.run import loop
from conformance.timing import TEARDOWN
from conformance.wire import audio

AUTH = {"Authorization": f"Token {DEFAULT_API_KEY}", "Content-Type": "audio/wav"}
DEADLINE = 10.0


@pytest.fixture(scope="module")
def url() -> Iterator[str]:
    with running(create_tenants(Settings())) as base:
        yield base


def _sha256(base: str, prefix: str) -> str:
    answer = httpx.post(f"{base}{prefix}/v1/listen", content=audio.mono().wav, headers=AUTH)
    assert answer.status_code == 200, answer.text
    return str(answer.json()["metadata"]["sha256"])


def test_a_fault_prefix_reaches_a_faulted_server_and_the_root_stays_clean(url: str) -> None:
    truth = hashlib.sha256(audio.mono().wav).hexdigest()
    assert _sha256(url, "") == truth
    assert _sha256(url, "/fault/wrong-sha256") != truth
    assert _sha256(url, "/fault/duration-inflated") == truth


def test_a_variant_prefix_imitates_the_variant(url: str) -> None:
    plain = httpx.get(f"{url}/v1/no-such-route", headers=AUTH)
    terse = httpx.get(f"{url}/variant/terse-errors/v1/no-such-route", headers=AUTH)
    assert plain.status_code == terse.status_code == 404
    assert plain.headers["content-type"].startswith("application/json")
    assert terse.headers["content-type"].startswith("text/plain")


def test_names_join_with_plus_and_unknown_names_answer_404(url: str) -> None:
    both = "/fault/wrong-sha256+request-id-not-uuid"
    answer = httpx.post(f"{url}{both}/v1/listen", content=audio.mono().wav, headers=AUTH)
    metadata = answer.json()["metadata"]
    assert metadata["sha256"] != hashlib.sha256(audio.mono().wav).hexdigest()
    with pytest.raises(ValueError):
        uuid.UUID(metadata["request_id"])
    unknown = httpx.get(f"{url}/fault/no-such-fault/v1/listen", headers=AUTH)
    assert unknown.status_code == 404
    assert "unknown fault 'no-such-fault'" in unknown.text


def test_each_tenant_keeps_its_own_request_log(url: str) -> None:
    """A request to one tenant never shows in another's log (rows running side by side)."""
    project = Settings().project_id
    httpx.post(f"{url}/fault/no-auth/v1/listen", content=audio.mono().wav, headers=AUTH)
    listed = httpx.get(f"{url}/variant/lenient-params/v1/projects/{project}/requests", headers=AUTH)
    assert listed.status_code == 200
    assert listed.json()["requests"] == []


def test_streams_open_under_a_prefix(url: str) -> None:
    async def first_message() -> dict[str, object]:
        ws = url.replace("http", "ws", 1)
        headers = {"Authorization": AUTH["Authorization"]}
        async with connect(
            f"{ws}/variant/finals-shorter/v1/listen?encoding=linear16&sample_rate=16000",
            additional_headers=headers,
            open_timeout=DEADLINE,
        ) as stream:
            await stream.send(json.dumps({"type": "CloseStream"}))
            return dict(json.loads(await stream.recv(decode=True)))

    assert loop.run(first_message(), TEARDOWN)["type"] == "Metadata"
