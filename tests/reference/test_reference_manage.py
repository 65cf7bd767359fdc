"""The reference server's management API as client tooling calls it (issue 21): projects, Get All
Requests with its filters, Get Fields, the usage breakdown, models, members, balances; every
request kind logged (sync, async, streaming listen; speak); an unknown WebSocket path is a 404."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from conformance.reference import Settings, create_app
from conformance.reference.serving import running
from conformance.wire import audio

SETTINGS = Settings(allow_private_callbacks=True)
TOKEN = {"Authorization": f"Token {SETTINGS.api_key}"}
PROJECT = f"/v1/projects/{SETTINGS.project_id}"
TAG = "manage-test"


async def _stream(base: str) -> None:
    """One short tagged stream, closed cleanly with CloseStream."""
    url = base.replace("http://", "ws://") + "/v1/listen?encoding=linear16&sample_rate=16000"
    async with connect(f"{url}&tag={TAG}", additional_headers=TOKEN) as ws:
        await ws.send(audio.mono().wav[44:16044])
        await ws.send(json.dumps({"type": "CloseStream"}))
        async for _ in ws:
            pass


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    """One reference server, fed one request of every kind: sync, async and streaming listen,
    speak, and a refused listen."""
    with running(create_app(SETTINGS)) as url:
        with httpx.Client(base_url=url, headers=TOKEN, timeout=10) as client:
            wav = {"Content-Type": "audio/wav"}
            client.post(
                "/v1/listen",
                params={"tag": TAG, "punctuate": "true"},
                content=audio.mono().wav,
                headers=wav,
            ).raise_for_status()
            client.post(
                "/v1/listen",
                params={"callback": "http://127.0.0.77:8080/", "tag": TAG},
                content=audio.mono().wav,
                headers=wav,
            ).raise_for_status()
            client.post(
                "/v1/speak", params={"tag": TAG}, json={"text": "Hello."}
            ).raise_for_status()
            assert (
                client.post(
                    "/v1/listen",
                    params={"alternatives": "x"},
                    content=audio.mono().wav,
                    headers=wav,
                ).status_code
                == 400
            )
            asyncio.run(_stream(url))
        yield url


def _get(server: str, path: str, **params: Any) -> httpx.Response:
    return httpx.get(f"{server}{path}", params=params, headers=TOKEN, timeout=10)


def test_projects_list_and_get(server: str) -> None:
    listed = _get(server, "/v1/projects")
    assert listed.status_code == 200
    assert listed.json() == {
        "projects": [{"project_id": SETTINGS.project_id, "name": "Reference project"}]
    }
    one = _get(server, PROJECT).json()
    assert one["project_id"] == SETTINGS.project_id and one["mip_opt_out"] is False


def test_an_unknown_project_is_404_with_an_error_body(server: str) -> None:
    answer = _get(server, "/v1/projects/00000000-0000-4000-8000-000000000000")
    assert answer.status_code == 404
    assert answer.json()["err_code"] == "NOT_FOUND"


def test_every_request_kind_is_logged_with_its_method(server: str) -> None:
    records = _get(server, f"{PROJECT}/requests", limit=100).json()["requests"]
    kinds = {(r["path"], r["response"]["details"]["method"], r["code"] < 300) for r in records}
    assert kinds == {
        ("/v1/listen", "sync", True),
        ("/v1/listen", "async", True),
        ("/v1/listen", "streaming", True),
        ("/v1/speak", "sync", True),
        ("/v1/listen", "sync", False),
    }
    succeeded = [r for r in records if r["code"] < 300]
    assert all(r["response"]["details"]["tags"] == [TAG] for r in succeeded)
    streamed = next(r for r in records if r["response"]["details"]["method"] == "streaming")
    assert streamed["response"]["details"]["duration"] > 0


def test_requests_filters(server: str) -> None:
    def ids(**params: Any) -> list[str]:
        answer = _get(server, f"{PROJECT}/requests", **params)
        assert answer.status_code == 200, answer.text
        return [r["request_id"] for r in answer.json()["requests"]]

    assert len(ids()) == 5
    assert len(ids(status="failed")) == 1 and len(ids(status="succeeded")) == 4
    assert len(ids(endpoint="speak")) == 1 and len(ids(method="streaming")) == 1
    assert ids(limit=2) + ids(limit=2, page=1) + ids(limit=2, page=2) == ids()
    assert ids(start="2000-01-01", end="2000-01-02") == []
    assert len(ids(start="2000-01-01")) == 5
    for bad in ({"limit": 0}, {"limit": 1001}, {"status": "ok"}, {"start": "yesterday"}):
        assert _get(server, f"{PROJECT}/requests", **bad).status_code == 400


def test_fields_list_the_tags_models_methods_and_features(server: str) -> None:
    found = _get(server, f"{PROJECT}/usage/fields").json()
    assert found["tags"] == [TAG]
    assert found["processing_methods"] == ["async", "streaming", "sync"]
    assert "punctuate" in found["features"]
    assert {m["name"] for m in found["models"]} == {"general-reference", "aura-reference-en"}
    assert all(set(m) == {"name", "language", "version", "model_id"} for m in found["models"])


def test_usage_counts_succeeded_requests_and_the_breakdown_groups(server: str) -> None:
    usage = _get(server, f"{PROJECT}/usage", tag=TAG).json()
    assert sum(r["requests"] for r in usage["results"]) == 4
    total = _get(server, f"{PROJECT}/usage/breakdown").json()
    assert total["resolution"] == {"units": "day", "amount": 1}
    assert [r["requests"] for r in total["results"]] == [4]
    by_method = _get(server, f"{PROJECT}/usage/breakdown", grouping="method").json()["results"]
    assert {r["grouping"]["method"]: r["requests"] for r in by_method} == {
        "async": 1,
        "streaming": 1,
        "sync": 2,
    }
    assert _get(server, f"{PROJECT}/usage/breakdown", grouping="colour").status_code == 400


def test_models_members_balances(server: str) -> None:
    models = _get(server, "/v1/models").json()
    assert models == _get(server, f"{PROJECT}/models").json()
    uuid = models["stt"][0]["uuid"]
    assert _get(server, f"/v1/models/{uuid}").json()["uuid"] == uuid
    assert _get(server, "/v1/models/nope").status_code == 404
    members = _get(server, f"{PROJECT}/members").json()["members"]
    assert members[0]["scopes"] == ["owner"]
    balance = _get(server, f"{PROJECT}/balances").json()["balances"][0]
    assert _get(server, f"{PROJECT}/balances/{balance['balance_id']}").json() == balance
    billing = _get(server, f"{PROJECT}/billing/breakdown").json()
    assert [r["dollars"] for r in billing["results"]] == [0.0]
    assert _get(server, f"{PROJECT}/billing/fields").json()["tags"] == [TAG]


def test_an_unknown_websocket_path_is_404_with_an_error_body(server: str) -> None:
    async def upgrade() -> InvalidStatus:
        with pytest.raises(InvalidStatus) as refused:
            async with connect(server.replace("http://", "ws://") + "/v1/nope"):
                pass
        return refused.value

    refusal = asyncio.run(upgrade())
    assert refusal.response.status_code == 404
    assert json.loads(refusal.response.body or b"{}")["err_code"] == "NOT_FOUND"
