"""The credentials a capture carries (headers, query, issued keys), so output never shows them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl, urlsplit

CREDENTIAL_PARAMETERS = frozenset({"token", "key", "api_key", "apikey", "access_token"})
"""Query parameters that hold a key where a client cannot set headers (browsers' WebSockets)."""

CREDENTIAL_FIELDS = frozenset({"key", "access_token", "secret"})
"""Body fields of answers that issue a credential (keys-create, grant, legacy keys)."""

_SCHEMES = frozenset({"token", "bearer", "basic"})


def in_headers(headers: Mapping[str, str]) -> set[str]:
    """The key of an Authorization header, and a key offered as a WebSocket subprotocol."""
    found: set[str] = set()
    for name, value in headers.items():
        if name.lower() in {"authorization", "proxy-authorization"}:
            found.add(value.split(None, 1)[-1].strip())
        elif name.lower() == "sec-websocket-protocol":
            found |= {p.strip() for p in value.split(",") if p.strip().lower() not in _SCHEMES}
    return found


def in_url(url: str) -> set[str]:
    """Values of credential query parameters."""
    query = parse_qsl(urlsplit(url).query, keep_blank_values=False)
    return {value for name, value in query if name.lower() in CREDENTIAL_PARAMETERS}


def in_body(document: Any) -> set[str]:
    """A credential an answer issued (a new key's secret, a granted token)."""
    if not isinstance(document, dict):
        return set()
    return {v for k, v in document.items() if k in CREDENTIAL_FIELDS and isinstance(v, str)}
