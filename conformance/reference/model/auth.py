"""Who is calling: the Authorization header rules as pure functions over the header value."""

from __future__ import annotations

import base64
import binascii
import hmac
from dataclasses import dataclass
from typing import Literal, Protocol

from .errors import unauthorized
from .faults import Fault
from .settings import Settings
from .tokens import TokenStore

Scheme = Literal["token", "bearer", "basic"]
Kind = Literal["api_key", "access_token", "anonymous"]


@dataclass(frozen=True)
class Caller:
    """An authenticated caller; how they authenticated decides what they may do."""

    kind: Kind
    scheme: Scheme | None
    key_id: str | None = None
    """The API key's identifier, when an API key authenticated."""


class KeyLookup(Protocol):
    """The keys created through the API (keys.KeyStore), as authentication needs them."""

    def by_secret(self, secret: str) -> _Key | None:
        """The key whose secret this is, if it authenticates."""

    def by_pair(self, api_key_id: str, secret: str) -> _Key | None:
        """The key for a legacy key:secret pair, if it authenticates."""


class _Key(Protocol):
    api_key_id: str


def parse_authorization(header: str) -> tuple[str, str] | None:
    """Split 'Scheme credentials' into a lower-cased scheme and the credential, if well-formed."""
    scheme, _, credential = header.strip().partition(" ")
    credential = credential.strip()
    if not scheme or not credential:
        return None
    return scheme.lower(), credential


def _scheme(name: str, settings: Settings) -> Scheme | None:
    """The accepted scheme called name, or None when it is unknown or switched off by a fault."""
    if name == "token" and not settings.has(Fault.TOKEN_SCHEME_REJECTED):
        return "token"
    if name == "bearer" and not settings.has(Fault.BEARER_REJECTED):
        return "bearer"
    if name == "basic":
        return "basic"
    return None


def _basic(credential: str, settings: Settings, keys: KeyLookup | None) -> str | None:
    """The key id behind a legacy Basic key:secret credential, if it is a known pair."""
    try:
        user, colon, password = base64.b64decode(credential, validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    if not colon:
        return None
    if user == settings.api_key_id and hmac.compare_digest(password, settings.api_key):
        return settings.api_key_id
    found = keys.by_pair(user, password) if keys is not None else None
    return _attributed(found.api_key_id, settings) if found is not None else None


def _attributed(key_id: str, settings: Settings) -> str:
    """The identifier a created key's requests are attributed to (dg-token, request log)."""
    return settings.api_key_id if settings.has(Fault.KEY_ID_MISATTRIBUTED) else key_id


def identify(
    header: str | None,
    settings: Settings,
    tokens: TokenStore,
    now: float,
    keys: KeyLookup | None = None,
) -> Caller:
    """The caller behind an Authorization header, or ApiError 401 when it proves nothing."""
    if header is None or not header.strip():
        if settings.has(Fault.NO_AUTH):
            return Caller("anonymous", None)
        raise unauthorized()
    parsed = parse_authorization(header)
    scheme = _scheme(parsed[0], settings) if parsed else None
    if parsed is None or scheme is None:
        raise unauthorized()
    credential = parsed[1]
    if scheme == "basic":
        key_id = _basic(credential, settings, keys)
        if key_id is not None:
            return Caller("api_key", scheme, key_id)
        raise unauthorized()
    if hmac.compare_digest(credential.encode(), settings.api_key.encode()):
        return Caller("api_key", scheme, settings.api_key_id)
    created = keys.by_secret(credential) if keys is not None else None
    if created is not None:
        return Caller("api_key", scheme, _attributed(created.api_key_id, settings))
    if scheme == "bearer" and tokens.is_valid(credential, now):
        return Caller("access_token", scheme)
    if settings.has(Fault.ANY_KEY_ACCEPTED):
        return Caller("api_key", scheme)
    raise unauthorized()


def may_grant(caller: Caller, settings: Settings) -> bool:
    """Only an API key sent with the Token scheme may mint access tokens (a token may not)."""
    if caller.kind == "anonymous":
        return True
    if caller.kind != "api_key":
        return False
    return caller.scheme == "token" or settings.has(Fault.TOKEN_SCHEME_REJECTED)
