"""JSON Schema validation of what targets send, against the schemas in schemas/."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from typing import Any, Literal

import jsonschema
from referencing import Registry, Resource

from conformance.contract.catalogue import read_schema_file

SCHEMA_FILES = {
    "listen": "listen-response.json",
    "error": "error.json",
    "report": "report.schema.json",
    "keys-create": "keys-create.json",
    "keys-list": "keys-list.json",
    "keys-get": "keys-get.json",
    "keys-delete": "keys-delete.json",
    "keys-legacy-create": "keys-legacy-create.json",
    "keys-legacy-list": "keys-legacy-list.json",
    "request": "request.json",
    "requests-list": "requests-list.json",
    "usage": "usage.json",
    "grant": "grant.json",
    "callback-accepted": "callback-accepted.json",
    "stream-results": "stream-results.json",
    "stream-metadata": "stream-metadata.json",
    "stream-utterance-end": "stream-utterance-end.json",
    "stream-speech-started": "stream-speech-started.json",
    "speak-metadata": "speak-metadata.json",
    "speak-flushed": "speak-flushed.json",
    "speak-cleared": "speak-cleared.json",
    "speak-warning": "speak-warning.json",
}
"""Kinds of document the suite validates, and the schema file of each."""


@cache
def _schema(kind: str) -> dict[str, Any]:
    """The parsed schema of one kind."""
    loaded: dict[str, Any] = json.loads(read_schema_file(SCHEMA_FILES[kind]))
    return loaded


@cache
def _registry() -> Registry[Any]:
    """Every schema file under its $id, so a schema can $ref its neighbour (request.json)."""
    return Registry().with_resources(
        (schema["$id"], Resource.from_contents(schema)) for schema in map(_schema, SCHEMA_FILES)
    )


@cache
def validator(kind: str) -> jsonschema.protocols.Validator:
    """A compiled 2020-12 validator for one kind of document."""
    schema = _schema(kind)
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema, registry=_registry())


def problems(kind: str, document: Any, limit: int = 5) -> list[str]:
    """Where `document` breaks the schema, as short readable lines (at most `limit`)."""
    errors = sorted(validator(kind).iter_errors(document), key=lambda e: list(e.absolute_path))
    lines = []
    for error in errors[:limit]:
        where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path)
        message = error.message if len(error.message) <= 160 else error.message[:157] + "..."
        lines.append(f"{where.lstrip('.') or '(root)'}: {message}")
    if len(errors) > limit:
        lines.append(f"... and {len(errors) - limit} more")
    return lines


Socket = Literal["listen", "speak"]
"""The WebSocket a stream message came from, where the capture tells."""

MESSAGE_KINDS: dict[str, dict[Socket, str]] = {
    "Results": {"listen": "stream-results"},
    "Metadata": {"listen": "stream-metadata", "speak": "speak-metadata"},
    "UtteranceEnd": {"listen": "stream-utterance-end"},
    "SpeechStarted": {"listen": "stream-speech-started"},
    "Flushed": {"speak": "speak-flushed"},
    "Cleared": {"speak": "speak-cleared"},
    "Warning": {"speak": "speak-warning"},
}
"""The server messages of /v1/listen and /v1/speak (official AsyncAPI): each type names its
kind per socket; only Metadata is sent by both, in two different shapes."""

MESSAGE_KIND_NAMES = frozenset(k for kinds in MESSAGE_KINDS.values() for k in kinds.values())
"""Kinds a message is judged as by its type, never by guessing from its keys."""


@dataclass(frozen=True)
class Classified:
    """The kind a document was checked as, and what is wrong with it (empty: valid)."""

    kind: str
    problems: list[str]


@cache
def _identifying(kind: str) -> tuple[frozenset[str], ...]:
    """Per alternative of a kind, the keys it requires, where they say more than a lone id:
    a schema requiring nothing, or only `request_id`, would fit any body."""
    schema = _schema(kind)
    branches = [schema, *schema.get("anyOf", []), *schema.get("oneOf", [])]
    required = (frozenset(branch.get("required", [])) for branch in branches)
    return tuple(r for r in required if len(r) > 1 or any(not k.endswith("id") for k in r))


def _fits(kind: str, keys: set[str]) -> bool:
    """The document holds every key one alternative of the kind requires to be recognised."""
    return any(required <= keys for required in _identifying(kind))


def kind_of(document: Any, socket: Socket | None = None) -> str | None:
    """The kind a document says it is: a stream message by its `type` (and its socket, where
    known); a body by the one kind whose identifying keys it holds; None when no kind or
    several fit, so that nothing is ever judged by a schema that is not its own."""
    if not isinstance(document, dict):
        return None
    if "type" in document:
        per_socket = (
            MESSAGE_KINDS.get(document["type"]) if isinstance(document["type"], str) else None
        )
        if per_socket is None:
            return None
        if socket is not None:
            return per_socket.get(socket)
        kinds = list(per_socket.values())
        if len(kinds) == 1:
            return kinds[0]
    else:
        kinds = [k for k in SCHEMA_FILES if k not in MESSAGE_KIND_NAMES]
    fitting = [k for k in kinds if _fits(k, set(document))]
    return fitting[0] if len(fitting) == 1 else None


def unknown_why(document: Any, socket: Socket | None = None) -> str:
    """Why `kind_of` found no kind, in words for the user."""
    if not isinstance(document, dict):
        return f"a JSON {type(document).__name__}, not an object"
    kind = document.get("type")
    if kind is not None:
        if not isinstance(kind, str) or kind not in MESSAGE_KINDS:
            return f"type {kind!r} is no message of /v1/listen or /v1/speak"
        if socket is not None:
            return f"a {kind} is not sent on the {socket} socket"
        return f"a {kind} with the keys of neither socket's {kind} (see --kind)"
    return "no schema, or more than one, fits the keys it requires beyond an id (see --kind)"


def classify(
    document: Any, kind: str | None = None, socket: Socket | None = None
) -> Classified | None:
    """Check as `kind`; without one, as the kind the document says it is (kind_of), or None."""
    chosen = kind or kind_of(document, socket)
    return None if chosen is None else Classified(chosen, problems(chosen, document))
