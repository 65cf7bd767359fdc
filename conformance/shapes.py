"""JSON Schema validation of what targets send, against the schemas in schemas/."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

import jsonschema

from .catalogue import read_schema_file

SCHEMA_FILES = {
    "listen": "listen-response.json",
    "error": "error.json",
    "report": "report.schema.json",
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
        lines.append(f"{where.lstrip('.') or '(root)'}: {error.message}")
    if len(errors) > limit:
        lines.append(f"... and {len(errors) - limit} more")
    return lines
