"""What a capture holds once read, whatever its format: answers, sockets and lone documents."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Frame:
    """One WebSocket message: who sent it, and its text (None for a binary frame)."""

    sent: bool
    """Sent by the client (HAR `send`); False for what the server sent."""
    text: str | None
    size: int


@dataclass(frozen=True)
class Session:
    """A WebSocket's messages in order; an NDJSON log is one, with the server's side only."""

    where: str
    url: str
    frames: list[Frame]
    client_frames: bool
    """The capture holds what the client sent too, so shutdown requests can be seen."""


@dataclass(frozen=True)
class Answer:
    """One HTTP request of a HAR with the response to it."""

    where: str
    method: str
    url: str
    status: int
    content_type: str
    body: str | None
    """The response text; None where the HAR did not keep it."""
    request_headers: dict[str, str] = field(default_factory=dict)
    response_headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Document:
    """A whole file holding one JSON document."""

    where: str
    document: Any


Item = Session | Answer | Document


@dataclass(frozen=True)
class Capture:
    """Everything read from one file, and the credentials seen in it (to redact)."""

    items: list[Item]
    secrets: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Finding:
    """One rule applied to one part of a capture: a case of a requirement, in report terms."""

    requirement: str
    where: str
    passed: bool
    text: str
    """What was found, as the console line after `where:` shows it."""
    exchange: dict[str, Any] | None = None
    """The HTTP exchange judged, in report.json's shape (headers still unredacted)."""
