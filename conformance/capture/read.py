"""A capture file, whatever its format: one JSON document, NDJSON, or a HAR."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from conformance.capture import har, secrets
from conformance.capture.model import Capture, Document, Frame, Item, Session
from conformance.errors import UsageError


def _lines(text: str, path: Path, error: ValueError) -> Capture:
    """NDJSON: one message a line. Lines of typed messages are a stream's server side; lines
    of untyped objects are bodies, each judged alone."""
    lines = [(n, line) for n, line in enumerate(text.splitlines(), 1) if line.strip()]
    parsed: list[tuple[int, str, Any]] = []
    for n, line in lines:
        try:
            parsed.append((n, line, json.loads(line)))
        except ValueError:
            parsed.append((n, line, None))
    if len(lines) < 2 or all(document is None for _, _, document in parsed):
        raise UsageError(f"{path}: cannot read JSON, NDJSON or HAR: {error}")
    found = {s for _, _, document in parsed for s in secrets.in_body(document)}
    if all(isinstance(d, dict) and "type" not in d for _, _, d in parsed):
        items: list[Item] = [Document(f"{path}:{n}", d) for n, _, d in parsed]
        return Capture(items, frozenset(found))
    frames = [Frame(False, line, len(line.encode())) for _, line, _ in parsed]
    return Capture([Session(str(path), "", frames, client_frames=False)], frozenset(found))


def read(path: Path) -> Capture:
    """Read one capture; unreadable files are the user's error, said in one line."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"{path}: cannot read: {exc}") from None
    try:
        document = json.loads(text)
    except ValueError as exc:
        return _lines(text, path, exc)
    if har.is_har(document):
        return har.parse(document, path)
    return Capture([Document(str(path), document)], frozenset(secrets.in_body(document)))
