"""Who is calling: the Authorization header rules as pure functions over the header value."""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Literal

from .errors import unauthorized
from .settings import Settings
from .tokens import TokenStore

Scheme = Literal["token", "bearer"]
Kind = Literal["api_key", "access_token", "anonymous"]


@dataclass(frozen=True)
class Caller:
    """An authenticated caller; how they authenticated decides what they may do."""

    kind: Kind
    scheme: Scheme | None


def parse_authorization(header: str) -> tuple[str, str] | None:
    """Split 'Scheme credentials' into a lower-cased scheme and the credential, if well-formed."""
    scheme, _, credential = header.strip().partition(" ")
    credential = credential.strip()
    if not scheme or not credential:
        return None
    return scheme.lower(), credential


def _scheme(name: str, settings: Settings) -> Scheme | None:
    """The accepted scheme called name, or None when it is unknown or switched off by a fault."""
    if name == "token" and not settings.has("token-scheme-rejected"):
        return "token"
    if name == "bearer" and not settings.has("bearer-rejected"):
        return "bearer"
    return None


def identify(header: str | None, settings: Settings, tokens: TokenStore, now: float) -> Caller:
    """The caller behind an Authorization header, or ApiError 401 when it proves nothing."""
    if header is None or not header.strip():
        if settings.has("no-auth"):
            return Caller("anonymous", None)
        raise unauthorized()
    parsed = parse_authorization(header)
    scheme = _scheme(parsed[0], settings) if parsed else None
    if parsed is None or scheme is None:
        raise unauthorized()
    credential = parsed[1]
    if hmac.compare_digest(credential.encode(), settings.api_key.encode()):
        return Caller("api_key", scheme)
    if scheme == "bearer" and tokens.is_valid(credential, now):
        return Caller("access_token", scheme)
    if settings.has("any-key-accepted"):
        return Caller("api_key", scheme)
    raise unauthorized()


def may_grant(caller: Caller, settings: Settings) -> bool:
    """Only an API key sent with the Token scheme may mint access tokens (a token may not)."""
    if caller.kind == "anonymous":
        return True
    if caller.kind != "api_key":
        return False
    return caller.scheme == "token" or settings.has("token-scheme-rejected")
