"""Sources by title: a requirement's source file named as a reader knows it, the document's
title and number ("Speech Recognition API reference, legacy v2 (004)"), not its file name."""

from __future__ import annotations

import tomllib
from functools import cache

from conformance.contract.catalogue import read_schema_file

SPECS = {
    "deepgram-api-specs_openapi.yml": "Deepgram's official OpenAPI spec",
    "deepgram-api-specs_asyncapi.yml": "Deepgram's official AsyncAPI spec",
}
"""The official specs the catalogue quotes, by file name."""


@cache
def titles() -> dict[str, str]:
    """Source file -> its title, from schemas/documents.toml and the official specs."""
    table = tomllib.loads(read_schema_file("documents.toml"))
    named = {d["file"]: f"{d['title']} ({d['id']})" for d in table.get("document", [])}
    return {**SPECS, **named}


def title(source: str) -> str:
    """A source's title, or the file name itself when it has none."""
    return titles().get(source, source)
