"""Secret redaction: every string that leaves the tool passes through one Redactor."""

from __future__ import annotations

import base64
import re
from collections.abc import Iterable
from urllib.parse import quote, quote_plus

REDACTED = "<redacted>"

_URL_PASSWORD = re.compile(
    r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*://)(?P<user>[^:/@\s]*):(?P<pw>[^@/\s]+)@"
)
_AUTH_HEADER = re.compile(r"^(?P<scheme>\S+)\s+\S.*$")


class Redactor:
    """Replaces known secrets, their encodings, and passwords inside URLs."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._secrets: set[str] = set()
        for secret in secrets:
            self.add(secret)

    def add(self, secret: str) -> None:
        """Register a secret and the forms it travels in (URL-quoted, base64)."""
        if len(secret) < 4:
            return
        self._secrets.update(
            {
                secret,
                quote(secret, safe=""),
                quote_plus(secret),
                base64.b64encode(secret.encode()).decode(),
            }
        )

    def text(self, value: str) -> str:
        """Return `value` with every secret and URL password replaced."""
        for secret in sorted(self._secrets, key=len, reverse=True):
            value = value.replace(secret, REDACTED)
        return _URL_PASSWORD.sub(lambda m: f"{m['scheme']}{m['user']}:{REDACTED}@", value)

    def header(self, name: str, value: str) -> str:
        """Redact a header: credentials headers keep only their scheme; a subprotocol list keeps
        its first entry, the scheme (`token, KEY` carries the key after it, while a server's
        answer `token` alone names the scheme it chose and is no secret)."""
        lowered = name.lower()
        if lowered in {"authorization", "proxy-authorization"}:
            match = _AUTH_HEADER.match(value)
            return f"{match['scheme']} {REDACTED}" if match else REDACTED
        if lowered == "sec-websocket-protocol":
            scheme, comma, _ = value.partition(",")
            return self.text(scheme) + (f", {REDACTED}" if comma else "")
        return self.text(value)
