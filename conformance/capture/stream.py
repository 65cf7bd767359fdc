"""A captured WebSocket judged message by message and by the stream rules that need no
audio: one request_id, start never going back, nothing after the final Metadata, a Metadata
last after the client's CloseStream."""

from __future__ import annotations

import json
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

from conformance.capture import endpoints, rules
from conformance.capture.bodies import schema_finding
from conformance.capture.model import Finding, Session
from conformance.contract.shapes import MESSAGE_KINDS, Socket

LISTEN_ONLY = frozenset(t for t, s in MESSAGE_KINDS.items() if set(s) == {"listen"})
SPEAK_ONLY = frozenset(t for t, s in MESSAGE_KINDS.items() if set(s) == {"speak"})


@dataclass(frozen=True)
class Message:
    """A server message: its number among the server's (from 1), its place among all frames,
    and its body (None: binary, or text that is not JSON)."""

    number: int
    frame: int
    body: Any
    binary: bool

    @property
    def type(self) -> str | None:
        """The message's `type`, where it is a JSON object with a string one."""
        kind = self.body.get("type") if isinstance(self.body, dict) else None
        return kind if isinstance(kind, str) else None


def _parse(text: str | None) -> Any:
    """A text frame's JSON, or None."""
    try:
        return None if text is None else json.loads(text)
    except ValueError:
        return None


def _is_close_stream(text: str) -> bool:
    """The client's text frame is {"type": "CloseStream"}."""
    sent = _parse(text)
    return isinstance(sent, dict) and sent.get("type") == "CloseStream"


def _inferred(messages: list[Message]) -> Socket | None:
    """The socket of an NDJSON log, from the types only one socket sends."""
    types = {m.type for m in messages}
    listen, speak = bool(types & LISTEN_ONLY), bool(types & SPEAK_ONLY)
    return "listen" if listen and not speak else "speak" if speak and not listen else None


def _messages_json(session: Session, messages: list[Message]) -> Finding:
    """STREAM-MESSAGES-JSON: every message a JSON object with a type, in a text frame."""
    bad = [
        f"message {m.number}: "
        + ("a binary frame" if m.binary else "not a JSON object with a type")
        for m in messages
        if m.type is None
    ]
    if bad:
        return Finding("STREAM-MESSAGES-JSON", session.where, False, "; ".join(bad))
    count = f"{len(messages)} messages, each" if len(messages) > 1 else "the one message,"
    text = f"{count} a JSON object with a type in a text frame"
    return Finding("STREAM-MESSAGES-JSON", session.where, True, text)


def _request_id(message: Message) -> Any:
    """The request_id a Results (in metadata) or a Metadata carries."""
    if message.type == "Results":
        metadata = message.body.get("metadata")
        return metadata.get("request_id") if isinstance(metadata, dict) else None
    return message.body.get("request_id") if message.type == "Metadata" else None


def _one_request_id(session: Session, messages: list[Message]) -> list[Finding]:
    """STREAM-REQUEST-ID: every Results and the Metadata carry the same request_id."""
    ids: dict[str, list[int]] = {}
    for message in messages:
        found = _request_id(message)
        if isinstance(found, str):
            ids.setdefault(found, []).append(message.number)
    if not ids:
        return []
    if len(ids) == 1:
        count = sum(map(len, ids.values()))
        text = f"one request_id across {count} message{'s' if count > 1 else ''}"
        return [Finding("STREAM-REQUEST-ID", session.where, True, text)]
    seen = "; ".join(f"{i} in messages {', '.join(map(str, n))}" for i, n in ids.items())
    text = f"{len(ids)} different request_ids in one stream: {seen}"
    return [Finding("STREAM-REQUEST-ID", session.where, False, text)]


def _number(value: Any) -> float | None:
    """A JSON number, never a boolean."""
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _start_order(session: Session, messages: list[Message]) -> list[Finding]:
    """STREAM-START-ORDER: per channel, no Results starts before the one before it."""
    channels: dict[Any, list[tuple[int, float]]] = {}
    for message in messages:
        index = message.body.get("channel_index") if message.type == "Results" else None
        start = _number(message.body.get("start")) if message.type == "Results" else None
        if isinstance(index, list) and index and start is not None:
            channels.setdefault(json.dumps(index[0]), []).append((message.number, start))
    if not any(len(starts) > 1 for starts in channels.values()):
        return []
    back = [
        f"channel {channel}: message {n} starts at {b:g} s, before the previous one's {a:g} s"
        for channel, starts in channels.items()
        for (_, a), (n, b) in pairwise(starts)
        if b < a - 1e-6
    ]
    text = "; ".join(back) or "per channel, each Results starts no earlier than the one before"
    return [Finding("STREAM-START-ORDER", session.where, not back, text)]


def _shutdown(session: Session, messages: list[Message]) -> Finding | None:
    """After the client's shutdown request (CloseStream, or an empty binary frame) a Metadata
    comes last: STREAM-SHUTDOWN-SEQUENCE, or STREAM-EMPTY when no audio went before it; None
    when the capture shows no shutdown request."""
    audio = False
    for n, frame in enumerate(session.frames):
        if not frame.sent:
            continue
        if frame.text is None and frame.size > 0:
            audio = True
        elif frame.text is None or _is_close_stream(frame.text):
            ends = [m for m in messages if m.frame > n]
            last = ends[-1] if ends else None
            rule = "STREAM-SHUTDOWN-SEQUENCE" if audio else "STREAM-EMPTY"
            what = "CloseStream" if frame.text is not None else "an empty binary frame"
            if last is not None and last.type == "Metadata":
                return Finding(rule, session.where, True, f"{what}, then a Metadata last")
            ended = f"message {last.number} ({last.type})" if last else "none"
            text = (
                f"after {what} (frame {n + 1}) the last server message is {ended}, not a Metadata"
            )
            return Finding(rule, session.where, False, text)
    return None


def _nothing_after_metadata(session: Session, messages: list[Message]) -> list[Finding]:
    """STREAM-SHUTDOWN-SEQUENCE: the Metadata is the last message of a stream."""
    first = next((m for m in messages if m.type == "Metadata"), None)
    if first is None:
        return []
    after = [m for m in messages if m.number > first.number]
    if after:
        text = (
            f"{len(after)} message{'s' if len(after) > 1 else ''} after the Metadata "
            f"(message {first.number}), first "
            f"message {after[0].number} ({after[0].type or 'not a typed JSON object'})"
        )
        return [Finding("STREAM-SHUTDOWN-SEQUENCE", session.where, False, text)]
    text = f"nothing after the Metadata (message {first.number})"
    return [Finding("STREAM-SHUTDOWN-SEQUENCE", session.where, True, text)]


def session(captured: Session) -> tuple[list[Finding], str | None]:
    """A socket's findings, or why it is not judged (a socket outside the contract)."""
    socket = endpoints.socket(captured.url) if captured.url else None
    if captured.url and socket is None:
        return [], "not a WebSocket of the contract"
    server = [(n, f) for n, f in enumerate(captured.frames) if not f.sent]
    messages = [
        Message(number, n, _parse(f.text), f.text is None)
        for number, (n, f) in enumerate(server, 1)
    ]
    socket = socket or _inferred(messages)
    findings: list[Finding] = []
    for message in messages:
        where = f"{captured.where} message {message.number}"
        if message.type is not None:
            findings.append(schema_finding(where, message.body, None, socket))
        elif socket != "listen" and not (message.binary and socket == "speak"):
            text = (
                "kind unknown ("
                + ("a binary frame" if message.binary else "not a JSON object with a type")
                + ")"
            )
            findings.append(Finding(rules.CAPTURE_KIND, where, False, text))
    if socket == "listen":
        findings.append(_messages_json(captured, messages))
        findings += _one_request_id(captured, messages)
        findings += _start_order(captured, messages)
        findings += _nothing_after_metadata(captured, messages)
        shutdown = _shutdown(captured, messages) if captured.client_frames else None
        findings += [shutdown] if shutdown else []
    return findings, None
