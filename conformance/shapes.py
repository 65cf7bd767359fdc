"""JSON Schema validation of what targets send, against the schemas in schemas/."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from typing import Any

import jsonschema
from referencing import Registry, Resource

from .catalogue import read_schema_file

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


@dataclass(frozen=True)
class Classified:
    """The kind a document was checked as, and what is wrong with it (empty: valid)."""

    kind: str
    problems: list[str]


@cache
def required_keys(kind: str) -> frozenset[str]:
    """The top-level keys a kind requires (in any of its alternatives): what identifies it."""
    schema = _schema(kind)
    branches = [schema, *schema.get("anyOf", []), *schema.get("oneOf", [])]
    return frozenset(key for branch in branches for key in branch.get("required", []))


def classify(document: Any, kind: str | None = None) -> Classified | None:
    """Check as `kind`; without one, as the kind it resembles best, or None when it resembles
    none. A kind resembles a document holding one of the keys the kind requires, so a schema
    that requires nothing (keys-delete, usage) accepts anything and is never guessed; among
    those it resembles, one it fits wins, then the one with most of its required keys present,
    then the one with fewest problems."""
    if kind is not None:
        return Classified(kind, problems(kind, document))
    keys = set(document) if isinstance(document, dict) else set()
    candidates = [k for k in SCHEMA_FILES if keys & required_keys(k)]
    if not candidates:
        return None
    judged = [Classified(k, problems(k, document, limit=3)) for k in candidates]
    return min(
        judged,
        key=lambda c: (
            bool(c.problems),
            -len(keys & required_keys(c.kind)),
            len(c.problems),
            list(SCHEMA_FILES).index(c.kind),
        ),
    )
