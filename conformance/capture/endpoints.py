"""Which answer each REST endpoint of the contract gives, and the requirement that judges it
(schemas/openapi.yaml): a HAR entry's method and URL pick its body's schema."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from urllib.parse import parse_qsl, urlsplit

from conformance.contract.shapes import Socket


@dataclass(frozen=True)
class Endpoint:
    """A REST operation: the kind of its 2xx body (None: audio) and who judges it."""

    method: str
    path: str
    kind: str | None
    requirement: str
    error_requirement: str = "FUZZ-ERROR-CONFORMS"


_PROJECT = "/v1/projects/[^/]+"
ENDPOINTS = (
    Endpoint("POST", "/v1/listen", "listen", "LISTEN-SCHEMA", "LISTEN-ERROR-BODY"),
    Endpoint("POST", "/v1/speak", None, "SPEAK-AUDIO"),
    Endpoint("POST", "/v1/auth/grant", "grant", "FUZZ-RESPONSE-CONFORMS"),
    Endpoint("GET", f"{_PROJECT}/keys", "keys-list", "FUZZ-RESPONSE-CONFORMS"),
    Endpoint("POST", f"{_PROJECT}/keys", "keys-create", "FUZZ-RESPONSE-CONFORMS"),
    Endpoint("GET", f"{_PROJECT}/keys/[^/]+", "keys-get", "FUZZ-RESPONSE-CONFORMS"),
    Endpoint("DELETE", f"{_PROJECT}/keys/[^/]+", "keys-delete", "FUZZ-RESPONSE-CONFORMS"),
    Endpoint("GET", f"{_PROJECT}/requests", "requests-list", "FUZZ-RESPONSE-CONFORMS"),
    Endpoint("GET", f"{_PROJECT}/requests/[^/]+", "request", "FUZZ-RESPONSE-CONFORMS"),
    Endpoint("GET", f"{_PROJECT}/usage", "usage", "FUZZ-RESPONSE-CONFORMS"),
)
"""The v1 REST operations of schemas/openapi.yaml; a prefix before /v1 (a proxy's) is allowed."""

CALLBACK_ACCEPTED = {"/v1/listen": "CALLBACK-ACCEPTED", "/v1/speak": "SPEAK-CALLBACK-ACCEPTED"}
"""With a callback, listen and speak answer only {request_id}: their own requirement judges it."""

SOCKETS: dict[str, Socket] = {"/v1/listen": "listen", "/v1/speak": "speak"}


def _ends_with(path: str, pattern: str) -> bool:
    """The URL path is the operation's, after any prefix."""
    return re.fullmatch(f"(?:/.*)?{pattern}/?", path) is not None


def rest(method: str, url: str) -> Endpoint | None:
    """The operation a request was for, with a callback request's own acknowledgement kind."""
    path = urlsplit(url).path
    for endpoint in ENDPOINTS:
        if endpoint.method == method and _ends_with(path, endpoint.path):
            query = {name for name, _ in parse_qsl(urlsplit(url).query)}
            if "callback" in query and endpoint.path in CALLBACK_ACCEPTED:
                accepted = CALLBACK_ACCEPTED[endpoint.path]
                return replace(endpoint, kind="callback-accepted", requirement=accepted)
            return endpoint
    return None


def socket(url: str) -> Socket | None:
    """The WebSocket of the contract a URL opens (/v1/listen, /v1/speak), or None."""
    path = urlsplit(url).path
    return next((s for p, s in SOCKETS.items() if _ends_with(path, p)), None)
