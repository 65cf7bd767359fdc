"""JSON Schema validation of what targets send, against the schemas in schemas/."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from typing import Any

import jsonschema

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
    "usage": "usage.json",
    "stream-results": "stream-results.json",
    "stream-metadata": "stream-metadata.json",
}
"""Kinds of document the suite validates, and the schema file of each."""


@cache
def validator(kind: str) -> jsonschema.protocols.Validator:
    """A compiled 2020-12 validator for one kind of document."""
    schema = json.loads(read_schema_file(SCHEMA_FILES[kind]))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


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


def classify(document: Any, kind: str | None = None) -> Classified:
    """Check as `kind`, or as the kind it fits best (fewest problems) when none is given."""
    if kind is not None:
        return Classified(kind, problems(kind, document))
    candidates = [Classified(k, problems(k, document, limit=3)) for k in SCHEMA_FILES]
    return min(candidates, key=lambda c: (len(c.problems), list(SCHEMA_FILES).index(c.kind)))
