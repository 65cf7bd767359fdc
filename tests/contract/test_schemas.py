"""The suite's schemas accept every genuine recording and reject what they must."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conformance.contract import shapes


def _recordings(shared: Path) -> list[Path]:
    real = shared / "real-world"
    found = sorted((real / "deepgram-python-sdk" / "listen" / "rest").glob("*.json"))
    found += sorted((real / "deepgram-go-sdk").glob("*.json"))
    return found


def test_every_genuine_prerecorded_response_validates(shared: Path) -> None:
    recordings = _recordings(shared)
    assert len(recordings) >= 10
    for path in recordings:
        assert shapes.problems("listen", json.loads(path.read_text())) == [], path.name


@pytest.mark.parametrize(
    "body",
    [
        {"err_code": "INVALID_AUTH", "err_msg": "Invalid credentials.", "request_id": "x"},
        {
            "category": "INVALID_AUTH",
            "message": "Invalid credentials.",
            "details": "d",
            "request_id": "x",
        },
        {"err_code": "BAD_REQUEST", "err_msg": "Invalid credentials."},  # a grant's refusal
    ],
)
def test_error_schema_accepts_both_documented_shapes(body: dict[str, str]) -> None:
    assert shapes.problems("error", body) == []


def test_error_schema_accepts_every_quoted_refusal(shared: Path) -> None:
    quoted = [
        p for p in sorted((shared / "real-world" / "quotes").glob("*.json")) if "_40" in p.name
    ]
    assert len(quoted) >= 4
    for path in quoted:
        assert shapes.problems("error", json.loads(path.read_text())) == [], path.name


@pytest.mark.parametrize(
    "body", ["Bad Request", {"err_code": "x"}, {"message": "m"}, {"request_id": "r"}, {}]
)
def test_error_schema_rejects_other_shapes(body: object) -> None:
    assert shapes.problems("error", body) != []


def test_listen_schema_rejects_a_response_without_results() -> None:
    assert shapes.problems("listen", {"metadata": {}}) != []
