"""Checks of the management API (PROJECTS) for the per-fault reference test: its CHECKS and
BREAKS take these in as they take tagging_checks.py's."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import httpx

from conformance.wire import audio

PROJECT = "./v1/projects/a1b2c3d4-0000-4000-8000-0000000000aa"
"""The reference's default project, relative to a fault's mount point."""
MONO = audio.mono()


def _get(p: Any, path: str, **params: str) -> httpx.Response:
    response: httpx.Response = p.client.get(
        path, params=params, headers={"Authorization": p.credential}
    )
    return response


def _body(p: Any, path: str, **params: str) -> Any:
    return _get(p, path, **params).json()


def _tagged(p: Any, tag: str) -> str:
    headers = {"Authorization": p.credential, "Content-Type": "audio/wav"}
    answer = p.client.post(f"./v1/listen?tag={tag}", content=MONO.wav, headers=headers)
    return str(answer.json()["metadata"]["request_id"])


def _listed(p: Any, **params: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = _body(p, f"{PROJECT}/requests", **params)["requests"]
    return found


def _speak_listed(p: Any) -> bool:
    headers = {"Authorization": p.credential}
    p.client.post("./v1/speak", json={"text": "Hello."}, headers=headers)
    return any(r["path"] == "/v1/speak" for r in _listed(p, limit="1000"))


def _filters(p: Any) -> bool:
    headers = {"Authorization": p.credential, "Content-Type": "audio/wav"}
    p.client.post("./v1/listen?alternatives=two", content=MONO.wav, headers=headers)
    _tagged(p, uuid.uuid4().hex)
    succeeded = _listed(p, status="succeeded", limit="1000")
    failed = _listed(p, status="failed", limit="1000")
    return all(r["code"] < 300 for r in succeeded) and all(r["code"] >= 400 for r in failed)


def _range(p: Any) -> bool:
    rid = _tagged(p, uuid.uuid4().hex)
    past = _listed(p, start="2000-01-01", end="2000-01-02", limit="1000")
    return rid not in {r["request_id"] for r in past}


def _list_tags(p: Any) -> bool:
    tag = uuid.uuid4().hex
    rid = _tagged(p, tag)
    record = _listed(p, request_id=rid)[0]
    return tag in record["response"]["details"]["tags"]


def _fields_tags(p: Any) -> bool:
    tag = uuid.uuid4().hex
    _tagged(p, tag)
    return tag in _body(p, f"{PROJECT}/usage/fields")["tags"]


def _fields_models(p: Any) -> bool:
    _tagged(p, uuid.uuid4().hex)
    return all(isinstance(m, dict) for m in _body(p, f"{PROJECT}/usage/fields")["models"])


def _usage_range(p: Any) -> bool:
    tag = uuid.uuid4().hex
    _tagged(p, tag)
    past = _body(p, f"{PROJECT}/usage", tag=tag, start="2000-01-01", end="2000-01-02")
    return not past["results"]


MANAGE_CHECKS: dict[str, Callable[[Any], bool]] = {
    "projects-list": lambda p: _get(p, "./v1/projects").status_code == 200,
    "project-get": lambda p: _body(p, PROJECT)["project_id"] in PROJECT,
    "project-unknown": lambda p: _get(p, f"./v1/projects/{uuid.uuid4()}").status_code == 404,
    "requests-limit": lambda p: (
        [_tagged(p, uuid.uuid4().hex) for _ in range(3)] and len(_listed(p, limit="2")) == 2
    ),
    "requests-filters": _filters,
    "requests-range": _range,
    "requests-list-tags": _list_tags,
    "requests-speak-listed": _speak_listed,
    "fields-tags": _fields_tags,
    "fields-models": _fields_models,
    "usage-range": _usage_range,
    "breakdown-resolution": lambda p: "resolution" in _body(p, f"{PROJECT}/usage/breakdown"),
    "models-shape": lambda p: isinstance(_body(p, "./v1/models")["stt"][0]["languages"], list),
    "members-shape": lambda p: isinstance(
        _body(p, f"{PROJECT}/members")["members"][0]["scopes"], list
    ),
    "balances-shape": lambda p: isinstance(
        _body(p, f"{PROJECT}/balances")["balances"][0]["amount"], float
    ),
}
"""Check name -> whether the reference behaves as the PROJECTS requirements say."""

MANAGE_BREAKS: dict[str, set[str]] = {
    "projects-list-404": {"projects-list"},
    "project-wrong-id": {"project-get"},
    "unknown-project-200": {"project-unknown"},
    "requests-limit-ignored": {"requests-limit"},
    "requests-filters-ignored": {"requests-filters"},
    "requests-range-ignored": {"requests-range"},
    "requests-list-drops-tags": {"requests-list-tags"},
    "requests-list-listen-only": {"requests-speak-listed"},
    "fields-drops-tags": {"fields-tags"},
    "fields-models-as-strings": {"fields-models"},
    "usage-range-ignored": {"usage-range"},
    "breakdown-no-resolution": {"breakdown-resolution"},
    "models-wrong-shape": {"models-shape"},
    "members-wrong-shape": {"members-shape"},
    "balances-wrong-shape": {"balances-shape"},
}
"""Fault -> the checks above it must break (and no others)."""
