"""Checks of the FUZZ faults for the per-fault reference test (test_reference_faults.py merges
them into its CHECKS and BREAKS): the exact inputs the fuzzer meets them with."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

GRANT = "/v1/auth/grant"


def _non_http_url_refused(p: Any) -> bool:
    body = b'{"url": "urn:conformance:no-audio-here"}'
    return bool(p.post(body=body, content_type="application/json").status_code == 400)


def _grant_expires_in_number(p: Any) -> bool:
    grant = p.post(body=b"{}", content_type="application/json", path=GRANT)
    expires_in = grant.json().get("expires_in")
    return isinstance(expires_in, int | float) and not isinstance(expires_in, bool)


def _grant_malformed_body_refused(p: Any) -> bool:
    refused = [
        p.post(body=body, content_type="application/json", path=GRANT).status_code == 400
        for body in (b"\x00", b"[]", b'{"ttl_seconds": 0}', b'{"ttl_seconds": "30"}')
    ]
    return all(refused)


FUZZ_CHECKS: dict[str, Callable[[Any], bool]] = {
    "fuzz-non-http-url": _non_http_url_refused,
    "fuzz-grant-expires-in": _grant_expires_in_number,
    "fuzz-grant-body": _grant_malformed_body_refused,
}

FUZZ_BREAKS: dict[str, set[str]] = {
    "non-http-url-500": {"fuzz-non-http-url"},
    "grant-expires-in-text": {"fuzz-grant-expires-in"},
    "grant-ignores-body": {"fuzz-grant-body"},
}
"""Fault -> the checks above it breaks."""
