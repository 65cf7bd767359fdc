"""Checks of tags, extra metadata and API keys for the per-fault reference test
(test_reference_faults.py merges them into its CHECKS and BREAKS)."""

from __future__ import annotations

import base64
import uuid
from collections.abc import Callable
from typing import Any

import httpx

from conformance.wire import audio

PROJECT = "./v1/projects/a1b2c3d4-0000-4000-8000-0000000000aa"
"""The reference's default project, relative to a fault's mount point."""
MONO = audio.mono()


def _extra(p: Any, query: str) -> Any:
    return p.body(query)["metadata"].get("extra")


def _pair(length: int) -> str:
    return "extra=k:" + "v" * (length - 2)


def _scheme(p: Any) -> str:
    """The scheme the probe's own credential uses (Bearer where Token is broken)."""
    return str(p.credential.split()[0])


def _listen(p: Any, authorization: str, query: str = "") -> httpx.Response:
    headers = {"Authorization": authorization, "Content-Type": "audio/wav"}
    response: httpx.Response = p.client.post(
        f"./v1/listen?{query}", content=MONO.wav, headers=headers
    )
    return response


def _create(p: Any, tags: list[str] | None = None) -> dict[str, Any]:
    body = {"comment": "probe", "scopes": ["usage:write"], "tags": tags or []}
    response = p.client.post(f"{PROJECT}/keys", json=body, headers={"Authorization": p.credential})
    assert response.status_code == 200, response.text
    created: dict[str, Any] = response.json()
    return created


def _manage(p: Any, method: str, tail: str) -> httpx.Response:
    response: httpx.Response = p.client.request(
        method, f"{PROJECT}{tail}", headers={"Authorization": p.credential}
    )
    return response


def _logged_tags(p: Any, request_id: str) -> list[str]:
    body = _manage(p, "GET", f"/requests/{request_id}").json()
    tags: list[str] = body["request"]["response"]["details"]["tags"]
    return tags


def _request_log(p: Any) -> bool:
    tag = uuid.uuid4().hex
    rid = _listen(p, p.credential, f"tag={tag}").json()["metadata"]["request_id"]
    return tag in _logged_tags(p, rid)


def _usage(p: Any, tag: str) -> int:
    body = _manage(p, "GET", f"/usage?tag={tag}").json()
    return sum(int(r["requests"]) for r in body["results"])


def _usage_filter(p: Any) -> bool:
    tag = uuid.uuid4().hex
    assert _listen(p, p.credential, f"tag={tag}").status_code == 200
    return _usage(p, tag) == 1 and _usage(p, uuid.uuid4().hex) == 0


def _key_tags(p: Any) -> bool:
    tag = uuid.uuid4().hex
    key = _create(p, [tag])
    rid = _listen(p, f"{_scheme(p)} {key['key']}").json()["metadata"]["request_id"]
    return tag in _logged_tags(p, rid)


def _key_works(p: Any) -> bool:
    key = _create(p)
    return _listen(p, f"{_scheme(p)} {key['key']}").status_code == 200


def _legacy_pair(p: Any) -> bool:
    """A created key authenticates as the legacy Basic pair key:secret (document 004)."""
    key = _create(p)
    pair = base64.b64encode(f"{key['api_key_id']}:{key['key']}".encode()).decode()
    return _listen(p, f"Basic {pair}").status_code == 200


def _key_listed(p: Any) -> bool:
    key = _create(p)
    listed = _manage(p, "GET", "/keys").json()["api_keys"]
    return key["api_key_id"] in {k["api_key"]["api_key_id"] for k in listed}


def _secret_hidden(p: Any) -> bool:
    key = _create(p)
    answers = [_manage(p, "GET", "/keys"), _manage(p, "GET", f"/keys/{key['api_key_id']}")]
    return all(key["key"] not in a.text for a in answers)


def _key_get(p: Any) -> bool:
    key = _create(p)
    got = _manage(p, "GET", f"/keys/{key['api_key_id']}").json()
    return bool(got["item"]["member"]["api_key"]["api_key_id"] == key["api_key_id"])


def _key_delete(p: Any) -> bool:
    key = _create(p)
    deleted = _manage(p, "DELETE", f"/keys/{key['api_key_id']}")
    gone = _manage(p, "GET", f"/keys/{key['api_key_id']}")
    refused = _listen(p, f"{_scheme(p)} {key['key']}")
    return deleted.status_code == 200 and gone.status_code == 404 and refused.status_code == 401


def _key_delete_unauthorized(p: Any) -> bool:
    key = _create(p)
    url = f"{PROJECT}/keys/{key['api_key_id']}"
    wrong = p.client.delete(url, headers={"Authorization": f"{_scheme(p)} not-a-key"})
    anonymous = p.client.delete(url)
    works = _listen(p, f"{_scheme(p)} {key['key']}")
    return wrong.status_code == anonymous.status_code == 401 and works.status_code == 200


def _logged_for(p: Any, query: str) -> list[str]:
    return _logged_tags(p, p.body(query)["metadata"]["request_id"])


TAGGING_CHECKS: dict[str, Callable[[Any], bool]] = {
    "key-label": lambda p: _create(p)["comment"] == "probe",
    "tags-all-logged": lambda p: _logged_for(p, "tag=a1&tag=b2") == ["a1", "b2"],
    "tags-decoded": lambda p: (
        _logged_for(p, "tag=w1%20team") == ["w1 team"]
        and _logged_for(p, "tag=w2+team") == ["w2 team"]
    ),
    "extra-echo": lambda p: _extra(p, "extra=myKey:someValue") == {"myKey": "someValue"},
    "extra-multiple": lambda p: (
        _extra(p, "extra=team:marketing&extra=purpose:legal")
        == {"team": "marketing", "purpose": "legal"}
    ),
    "extra-duplicate": lambda p: (
        _extra(p, "extra=team:marketing&extra=team:gtm") == {"team": "gtm"}
    ),
    "extra-first-colon": lambda p: _extra(p, "extra=time:12:30:45") == {"time": "12:30:45"},
    "extra-decoding": lambda p: all(
        _extra(p, f"extra=k:{sent}") == {"k": value}
        for sent, value in (("a%20b", "a b"), ("a+b", "a b"), ("%26%3D%23", "&=#"))
    ),
    "extra-unicode": lambda p: _extra(p, "extra=k:%C3%A9t%C3%A9") == {"k": "été"},
    "extra-limit-2048": lambda p: p.status(_pair(2048)) == 200,
    "extra-limit-2049": lambda p: p.status(_pair(2049)) == 400,
    "extra-no-colon": lambda p: p.status("extra=nocolon") == 400,
    "tag-repeat": lambda p: p.status("tag=a&tag=b%20c&tag=d+e") == 200,
    "tag-limit-128": lambda p: p.status("tag=" + "t" * 128) == 200,
    "tag-limit-129": lambda p: p.status("tag=" + "t" * 129) == 400,
    "request-log-tags": _request_log,
    "usage-tag-filter": _usage_filter,
    "key-tags": _key_tags,
    "key-create": lambda p: {"api_key_id", "key"} <= set(_create(p)),
    "key-works": _key_works,
    "legacy-pair": _legacy_pair,
    "key-listed": _key_listed,
    "key-secret-hidden": _secret_hidden,
    "key-get": _key_get,
    "key-delete": _key_delete,
    "key-delete-unknown": lambda p: (
        _manage(p, "DELETE", f"/keys/{uuid.uuid4()}").status_code == 404
    ),
    "key-delete-unauthorized": _key_delete_unauthorized,
}
"""Requirement -> whether the server meets it."""

TAGGING_BREAKS: dict[str, set[str]] = {
    "key-label-replaced": {"key-label"},
    "tags-first-only": {"tags-all-logged"},
    "tags-stored-encoded": {"tags-decoded"},
    "extra-dropped": {
        "extra-echo",
        "extra-multiple",
        "extra-duplicate",
        "extra-first-colon",
        "extra-decoding",
        "extra-unicode",
    },
    "extra-only-last-pair": {"extra-multiple"},
    "extra-first-duplicate-wins": {"extra-duplicate"},
    "extra-split-last-colon": {"extra-first-colon"},
    "extra-not-decoded": {"extra-decoding", "extra-unicode"},
    "extra-ascii-only": {"extra-unicode"},
    "extra-limit-too-low": {"extra-limit-2048"},
    "extra-limit-unenforced": {"extra-limit-2049"},
    "extra-no-colon-accepted": {"extra-no-colon"},
    "tag-repeat-refused": {"tag-repeat", "tags-all-logged"},
    "tag-limit-too-low": {"tag-limit-128"},
    "tag-limit-unenforced": {"tag-limit-129"},
    "request-log-drops-tags": {"request-log-tags", "key-tags", "tags-all-logged", "tags-decoded"},
    "usage-ignores-tag": {"usage-tag-filter"},
    "key-tags-not-applied": {"key-tags"},
    "create-key-no-secret": {
        "key-create",
        "key-works",
        "legacy-pair",
        "key-tags",
        "key-secret-hidden",
        "key-delete",
        "key-delete-unauthorized",
    },
    "new-key-not-active": {"key-works", "legacy-pair", "key-tags", "key-delete-unauthorized"},
    "legacy-pair-refused": {"legacy-pair"},
    "list-omits-new-keys": {"key-listed"},
    "key-secret-shown-again": {"key-secret-hidden"},
    "get-key-404": {"key-get"},
    "deleted-key-still-works": {"key-delete"},
    "delete-unknown-key-200": {"key-delete-unknown"},
    "key-id-misattributed": {"key-tags"},
    "any-key-accepted": {"key-delete", "key-delete-unauthorized"},
    "no-auth": {"key-delete-unauthorized"},
    "key-delete-needs-no-auth": {"key-delete-unauthorized"},
}
"""Fault -> the checks above it must break (merged into the matrix's expectations)."""
