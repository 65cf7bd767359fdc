"""The requirements a capture is judged by: the catalogue's, and two of the capture's own for
what no catalogued requirement covers."""

from __future__ import annotations

from conformance.contract.catalogue import Catalogue, Level, Requirement
from conformance.contract.shapes import MESSAGE_KIND_NAMES

CAPTURE_KIND = "CAPTURE-KIND"
CAPTURE_SCHEMA = "CAPTURE-SCHEMA"
_SPEC = "deepgram-api-specs_asyncapi.yml"


def _rule(rule_id: str, summary: str) -> Requirement:
    """A rule of the capture's own, judged like a MUST requirement of the catalogue."""
    return Requirement(
        id=rule_id,
        level=Level.MUST,
        area="CAPTURE",
        source=_SPEC,
        quote="description: Message type identifier",
        summary=summary,
        faults=(),
        unbreakable="Judges captured traffic offline; the reference server is never involved.",
    )


CAPTURE_RULES = {
    CAPTURE_KIND: _rule(
        CAPTURE_KIND,
        "Every message and body of a capture is of a kind the contract knows: a stream "
        "message by its type, an answer by its endpoint, a lone body by the one schema whose "
        "keys it holds; anything else is 'kind unknown', never valid.",
    ),
    CAPTURE_SCHEMA: _rule(
        CAPTURE_SCHEMA,
        "A message no catalogued requirement's schema covers (UtteranceEnd, SpeechStarted, "
        "the speak socket's Metadata, Flushed, Cleared, Warning) validates against its schema "
        "in schemas/.",
    ),
}
"""Rules of `conformance validate` that are no requirement of the catalogue."""

KIND_REQUIREMENTS = {
    "listen": "LISTEN-SCHEMA",
    "callback-accepted": "CALLBACK-ACCEPTED",
    "error": "FUZZ-ERROR-CONFORMS",
    "stream-results": "STREAM-RESULTS-SCHEMA",
    "stream-metadata": "STREAM-METADATA",
}
"""The requirement whose schema a kind is, for a body judged without its endpoint."""


def of_kind(kind: str) -> str:
    """Who judges a body or message of a kind: its requirement, the REST answers' catch-all,
    or the capture's own schema rule."""
    if kind in KIND_REQUIREMENTS:
        return KIND_REQUIREMENTS[kind]
    if kind in MESSAGE_KIND_NAMES or kind == "report":
        return CAPTURE_SCHEMA
    return "FUZZ-RESPONSE-CONFORMS"


def requirement(catalogue: Catalogue, requirement_id: str) -> Requirement:
    """A catalogued requirement, or one of the capture's own."""
    return CAPTURE_RULES.get(requirement_id) or catalogue.requirement(requirement_id)
