"""Short-lived access tokens issued by /v1/auth/grant, remembered in memory until they expire."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import uuid

DEFAULT_TTL = 30.0
"""Seconds a granted token lives unless the client asks otherwise (the documented default)."""


def _b64url(data: bytes) -> str:
    """Unpadded base64url, as JWT segments are written."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _segment(claims: dict[str, object]) -> str:
    """One JWT segment: compact JSON, base64url-encoded."""
    return _b64url(json.dumps(claims, separators=(",", ":")).encode())


class TokenStore:
    """Issues JWT-shaped tokens and says whether one is still valid; clients must not parse them."""

    def __init__(self) -> None:
        self._secret = secrets.token_bytes(32)
        self._expiry: dict[str, float] = {}

    def issue(self, subject: str, ttl: float, now: float) -> str:
        """A new token for subject that is valid until now + ttl."""
        self._expiry = {token: exp for token, exp in self._expiry.items() if exp > now}
        header = _segment({"alg": "HS256", "typ": "JWT"})
        payload = _segment(
            {
                "sub": subject,
                "scope": ["usage:write"],
                "iat": int(now),
                "exp": now + ttl,
                "jti": uuid.uuid4().hex,
            }
        )
        signature = hmac.new(self._secret, f"{header}.{payload}".encode(), hashlib.sha256)
        token = f"{header}.{payload}.{_b64url(signature.digest())}"
        self._expiry[token] = now + ttl
        return token

    def is_valid(self, token: str, now: float) -> bool:
        """Whether token was issued here and has not expired."""
        expiry = self._expiry.get(token)
        return expiry is not None and now < expiry
