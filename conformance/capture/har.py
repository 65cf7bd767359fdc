"""HTTP Archive 1.2 (browsers, mitmproxy): each entry an answer, or a WebSocket with the
messages Chromium and mitmproxy keep in `_webSocketMessages`."""

from __future__ import annotations

import base64
import binascii
import json
from pathlib import Path
from typing import Any

from conformance.capture import secrets
from conformance.capture.model import Answer, Capture, Frame, Item, Session
from conformance.errors import UsageError


def is_har(document: Any) -> bool:
    """A HAR's root is {"log": {"entries": [...]}}."""
    log = document.get("log") if isinstance(document, dict) else None
    return isinstance(log, dict) and "entries" in log


def _headers(message: dict[str, Any]) -> dict[str, str]:
    """A request's or response's headers, by name (the last of a repeated one)."""
    headers = message.get("headers")
    return {
        str(h.get("name", "")): str(h.get("value", ""))
        for h in (headers if isinstance(headers, list) else [])
        if isinstance(h, dict)
    }


def _frame(message: Any, where: str) -> Frame:
    """One `_webSocketMessages` item: opcode 1 is text, anything else binary (base64)."""
    if not isinstance(message, dict) or message.get("type") not in {"send", "receive"}:
        raise UsageError(f"{where}: a _webSocketMessages item is not {{type: send|receive, ...}}")
    data = str(message.get("data", ""))
    if message.get("opcode", 1) == 1:
        return Frame(message["type"] == "send", data, len(data.encode()))
    try:
        size = len(base64.b64decode(data, validate=True))
    except (binascii.Error, ValueError):
        size = len(data.encode())
    return Frame(message["type"] == "send", None, size)


def _body(content: dict[str, Any]) -> str | None:
    """The response text the HAR kept, decoded when it was stored as base64."""
    text = content.get("text")
    if not isinstance(text, str):
        return None
    if content.get("encoding") == "base64":
        try:
            return base64.b64decode(text).decode("utf-8", errors="replace")
        except (binascii.Error, ValueError):
            return None
    return text


def _item(entry: Any, where: str) -> tuple[Item, set[str]]:
    """An entry as an answer or a socket, with the credentials it carries."""
    if not isinstance(entry, dict) or not isinstance(entry.get("request"), dict):
        raise UsageError(f"{where}: an entry without a request object")
    request = entry["request"]
    response = entry["response"] if isinstance(entry.get("response"), dict) else {}
    method, url = str(request.get("method", "GET")), str(request.get("url", ""))
    sent = _headers(request)
    found = secrets.in_headers(sent) | secrets.in_url(url)
    label = f"{where} {method} {url.split('?', 1)[0]}"
    messages = entry.get("_webSocketMessages")
    if isinstance(messages, list) and (messages or response.get("status") == 101):
        frames = [_frame(m, label) for m in messages]
        return Session(label, url, frames, client_frames=True), found
    content = response["content"] if isinstance(response.get("content"), dict) else {}
    received = _headers(response)
    body = _body(content)
    try:
        found |= secrets.in_body(json.loads(body or "null"))
    except ValueError:
        pass
    content_type = str(content.get("mimeType") or received.get("content-type", ""))
    status = response.get("status")
    return Answer(
        label,
        method.upper(),
        url,
        status if isinstance(status, int) else 0,
        content_type.split(";")[0].strip().lower(),
        body,
        sent,
        received,
    ), found


def parse(document: dict[str, Any], path: Path) -> Capture:
    """Every entry of a HAR, in order."""
    entries = document["log"]["entries"]
    if not isinstance(entries, list):
        raise UsageError(f"{path}: not a HAR 1.2 file: log.entries is not a list")
    items: list[Item] = []
    found: set[str] = set()
    for n, entry in enumerate(entries, 1):
        item, credentials = _item(entry, f"{path} entry {n}")
        items.append(item)
        found |= credentials
    return Capture(items, frozenset(found))
