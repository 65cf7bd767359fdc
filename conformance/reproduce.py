"""Reproducers: a command a person can paste to see a failure for themselves, secrets as
placeholders ($DEEPGRAM_API_KEY, $CALLBACK_PASSWORD)."""

from __future__ import annotations

from typing import Any

from .redact import REDACTED

KEY_PLACEHOLDER = "$DEEPGRAM_API_KEY"
PASSWORD_PLACEHOLDER = "$CALLBACK_PASSWORD"


def _quote(text: str) -> str:
    """Double-quote for a POSIX shell, leaving only the placeholders to expand."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("`", "\\`").replace("$", "\\$")
    for placeholder in (KEY_PLACEHOLDER, PASSWORD_PLACEHOLDER):
        escaped = escaped.replace("\\" + placeholder, placeholder)
    return f'"{escaped}"'


def curl(exchange: dict[str, Any]) -> str:
    """A curl command repeating a recorded exchange (from its evidence form)."""
    request = exchange["request"]
    url = request["url"]
    for colon, at in ((":", "@"), ("%3A", "%40")):  # a URL, or one inside a query (callback=)
        url = url.replace(f"{colon}{REDACTED}{at}", f"{colon}{PASSWORD_PLACEHOLDER}{at}")
    words = ["curl", "-sS", "-X", request["method"], _quote(url)]
    for name, value in request["headers"].items():
        if name.lower() == "authorization":
            value = value.replace(REDACTED, KEY_PLACEHOLDER)
        words += ["-H", _quote(f"{name}: {value}")]
    prefix = ""
    if exchange.get("attachment"):
        clip = exchange["attachment"]
        prefix = f"conformance audio {clip} > {clip}.wav && "
        words += ["--data-binary", f"@{clip}.wav"]
    elif request["body"] and not request["body"].startswith("<"):
        words += ["--data-raw", _quote(request["body"].replace(REDACTED, PASSWORD_PLACEHOLDER))]
    return prefix + " ".join(words)


def for_case(exchanges: list[dict[str, Any]]) -> str | None:
    """The reproducer of a failed case: its last exchange, the one the verdict rests on."""
    return curl(exchanges[-1]) if exchanges else None
