"""Judging a capture's bodies: lone documents by what they say they are, HAR answers by the
endpoint that gave them."""

from __future__ import annotations

import json
from typing import Any

from conformance.capture import endpoints, stream
from conformance.capture.bodies import schema_finding
from conformance.capture.model import Answer, Capture, Document, Finding, Session

OUTSIDE = "not an endpoint of the contract"
"""Why a HAR entry is passed over: a browser's export holds every request of the page."""


def _exchange(answer: Answer) -> dict[str, Any]:
    """The answer in report.json's exchange shape."""
    return {
        "request": {
            "method": answer.method,
            "url": answer.url,
            "headers": answer.request_headers,
            "body": "",
        },
        "response": {
            "status": answer.status,
            "headers": answer.response_headers,
            "body": (answer.body or "")[:2000],
        },
        "elapsed": 0.0,
        "error": None,
    }


def _audio(answer: Answer, requirement: str) -> Finding:
    """Speech without a callback: an audio/* answer with a body (SPEAK-AUDIO)."""
    where, kind = answer.where, answer.content_type or "no content type"
    if not answer.content_type.startswith("audio/"):
        return Finding(requirement, where, False, f"answered {kind}, not audio/*")
    if answer.body == "":
        return Finding(requirement, where, False, f"answered {kind} with an empty body")
    return Finding(requirement, where, True, f"audio ({kind})")


def answer(item: Answer) -> tuple[Finding | None, str | None]:
    """An answer judged by its endpoint's rule, or why it is not judged."""
    if item.status == 101:
        return None, "a WebSocket whose messages the HAR did not keep"
    endpoint = endpoints.rest(item.method, item.url)
    if endpoint is None:
        return None, OUTSIDE
    if item.status >= 500:
        return Finding("FUZZ-NO-5XX", item.where, False, f"answered {item.status}"), None
    if 400 <= item.status < 500:
        kind, requirement = "error", endpoint.error_requirement
        if item.content_type != "application/json":
            type_ = item.content_type or "no content type"
            text = f"a {item.status} answer of {type_}, not a JSON error body"
            return Finding(requirement, item.where, False, text, _exchange(item)), None
    elif 200 <= item.status < 300:
        if endpoint.kind is None:
            return _audio(item, endpoint.requirement), None
        kind, requirement = endpoint.kind, endpoint.requirement
    else:
        return None, f"status {item.status or 'missing'}: no body rule applies"
    if item.body is None:
        return None, "the capture did not keep the body"
    try:
        document = json.loads(item.body)
    except ValueError as exc:
        text = f"{item.status} answer is not JSON: {exc}"
        return Finding(requirement, item.where, False, text, _exchange(item)), None
    found = schema_finding(item.where, document, kind, None, requirement)
    return Finding(found.requirement, found.where, found.passed, found.text, _exchange(item)), None


def capture(read: Capture, kind: str | None) -> tuple[list[Finding], list[str]]:
    """Every finding of one capture, and a line for each part not judged (and why)."""
    findings: list[Finding] = []
    unjudged: list[str] = []
    outside: list[str] = []
    for item in read.items:
        if isinstance(item, Document):
            findings.append(schema_finding(item.where, item.document, kind))
            continue
        if isinstance(item, Session):
            found, why = stream.session(item)
            findings += found
        else:
            judged, why = answer(item)
            findings += [judged] if judged else []
        if why == OUTSIDE:
            outside.append(item.where)
        elif why:
            unjudged.append(f"{item.where}: not judged ({why})")
    if outside:
        count = f"{len(outside)} entries" if len(outside) > 1 else "1 entry"
        unjudged.append(f"{count} not judged ({OUTSIDE}), e.g. {outside[0]}")
    return findings, unjudged
