"""A body or message against the schema of the kind it says it is, as a finding."""

from __future__ import annotations

from typing import Any

from conformance.capture import rules
from conformance.capture.model import Finding
from conformance.contract import shapes


def schema_finding(
    where: str,
    document: Any,
    kind: str | None = None,
    socket: shapes.Socket | None = None,
    requirement: str | None = None,
) -> Finding:
    """A document against the schema of its kind (given, or the one it says it is)."""
    verdict = shapes.classify(document, kind, socket)
    if verdict is None:
        why = shapes.unknown_why(document, socket)
        return Finding(rules.CAPTURE_KIND, where, False, f"kind unknown ({why})")
    judge = requirement or rules.of_kind(verdict.kind)
    if verdict.problems:
        found = "; ".join(verdict.problems)
        return Finding(judge, where, False, f"INVALID as {verdict.kind}: {found}")
    return Finding(judge, where, True, f"valid {verdict.kind}")
