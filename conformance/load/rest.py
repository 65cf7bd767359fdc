"""One pre-recorded request judged sans I/O: the load generator hands over what it sent and what
came back, the command the callback deliveries that arrived for it, and each gets verdicts by
requirement ID. The body rules are `conformance validate`'s (capture/judge.py: LISTEN-SCHEMA, or
CALLBACK-ACCEPTED with a callback, LISTEN-ERROR-BODY, FUZZ-NO-5XX); beside them, the rules that
need the audio sent or the deliveries, worded as the LISTEN and CALLBACK cases word them."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

from conformance.capture import judge as capture_judge
from conformance.capture.bodies import schema_finding
from conformance.capture.model import Answer, Finding

SCHEMA = "LISTEN-SCHEMA"
HEADER = "LISTEN-REQUEST-ID-HEADER"
SHA256 = "LISTEN-SHA256"
DURATION = "LISTEN-DURATION"
CHANNELS = "LISTEN-CHANNELS"
ACCEPTED = "CALLBACK-ACCEPTED"
DELIVERY = "CALLBACK-DELIVERY"
REQUEST_ID = "CALLBACK-REQUEST-ID"
TAG = "load"
"""Query parameter of each request's callback URL naming the request, so a delivery is matched
to the request it answers without trusting anything the target wrote."""


@dataclass(frozen=True)
class Sent:
    """What a request carried: enough to judge the answer's metadata against."""

    sha256: str
    size: int
    duration: float
    channels: int
    duration_tolerance: float


@dataclass
class RequestVerdict:
    """What one request leaves for the report: JSON-able, small, sent from worker to master."""

    sent_at: float
    """Wall-clock time the request went out, shared by every load process."""
    tag: str | None = None
    """Its callback URL's tag (None: a request without callback)."""
    answered_after: float | None = None
    """Seconds from sending to the whole answer."""
    status: int | None = None
    request_id: str | None = None
    """The request_id of the answer's body (the accepted one, with a callback)."""
    judged: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    """Requirement ID -> the first evidence against it, in words."""
    delivered_after: float | None = None
    """Seconds from sending to the first delivery of its callback (set by the command)."""
    not_answered: str | None = None
    """Why no answer came (connection refused, deadline): nothing else was judged."""

    def add(self, findings: list[Finding]) -> None:
        """Findings into the verdict: a requirement fails on its first finding against it."""
        for finding in findings:
            if finding.requirement not in self.judged:
                self.judged.append(finding.requirement)
            if not finding.passed:
                self.failed.setdefault(finding.requirement, finding.text)


def answered(
    verdict: RequestVerdict, url: str, status: int, headers: dict[str, str], body: bytes,
    sent: Sent,
) -> None:  # fmt: skip
    """Judge the answer: its body by its endpoint's rule, then (a transcription) its metadata
    and header, or (an acceptance) keep its request_id for the deliveries."""
    lower = {k.lower(): v for k, v in headers.items()}
    content_type = lower.get("content-type", "").split(";")[0].strip().lower()
    text = body.decode(errors="replace")
    item = Answer("", "POST", url, status, content_type, text, {}, lower)
    finding, _ = capture_judge.answer(item)
    verdict.status = status
    if finding is None:
        return
    verdict.add([Finding(finding.requirement, "", finding.passed, finding.text)])
    document = _json(text)
    if not finding.passed or not isinstance(document, dict):
        return
    if finding.requirement == ACCEPTED:
        request_id = document.get("request_id")
        verdict.request_id = request_id if isinstance(request_id, str) else None
    elif finding.requirement == SCHEMA:
        verdict.request_id = _get(document, "metadata", "request_id")
        verdict.add(_metadata(document, lower.get("dg-request-id"), sent))


def _metadata(document: dict[str, Any], header: str | None, sent: Sent) -> list[Finding]:
    """LISTEN-SHA256, -DURATION, -CHANNELS and -REQUEST-ID-HEADER on a valid transcription."""
    meta = document.get("metadata") or {}
    sha, duration, channels = meta.get("sha256"), meta.get("duration"), meta.get("channels")
    in_body = meta.get("request_id")
    number = isinstance(duration, int | float) and not isinstance(duration, bool)
    off = abs(float(duration or 0) - sent.duration) if number else None
    return [
        Finding(SHA256, "", isinstance(sha, str) and sha.lower() == sent.sha256,
                f"metadata.sha256 is {sha!r}; the SHA-256 of the {sent.size} bytes sent is "
                f"{sent.sha256}"),
        Finding(DURATION, "", off is not None and off <= sent.duration_tolerance,
                f"metadata.duration is {duration!r} s; the audio lasts {sent.duration:g} s "
                f"(tolerance {sent.duration_tolerance:g} s)"),
        Finding(CHANNELS, "", channels == sent.channels,
                f"metadata.channels is {channels!r}; the audio has {sent.channels}"),
        Finding(HEADER, "", header == in_body,
                f"dg-request-id header {header!r}, metadata.request_id {in_body!r}; expected "
                "the same request id in both"),
    ]  # fmt: skip


@dataclass(frozen=True)
class Arrival:
    """One callback attempt as the receiver kept it."""

    query: str
    content_type: str
    body: bytes
    at: float
    """Wall-clock time it arrived."""


def tag_of(arrival: Arrival) -> str | None:
    """The request an attempt answers, by its callback URL's tag."""
    values = parse_qs(arrival.query).get(TAG)
    return values[-1] if values else None


def delivered(verdict: RequestVerdict, arrivals: list[Arrival], deadline: float) -> None:
    """Judge the callback of an accepted request: exactly one delivery within the deadline,
    a valid transcription (CALLBACK-DELIVERY), naming the accepted request_id
    (CALLBACK-REQUEST-ID)."""
    if verdict.tag is None or ACCEPTED not in verdict.judged or ACCEPTED in verdict.failed:
        return  # no callback asked, or not accepted: CALLBACK-ACCEPTED says why
    if arrivals:
        verdict.delivered_after = min(a.at for a in arrivals) - verdict.sent_at
    if not arrivals:
        text = f"no delivery reached the callback URL within {deadline:g} s"
        verdict.add([Finding(DELIVERY, "", False, text)])
        return
    first = min(arrivals, key=lambda a: a.at)
    late = first.at - verdict.sent_at
    if len(arrivals) > 1 or late > deadline:
        said = f"{len(arrivals)} deliveries arrived, not one" if len(arrivals) > 1 else ""
        said = said or f"the delivery came {late:.1f} s after the request (deadline {deadline:g} s)"
        verdict.add([Finding(DELIVERY, "", False, said)])
    if first.content_type != "application/json":
        said = f"the delivery's Content-Type is {first.content_type or 'missing'!r}, not JSON"
        verdict.add([Finding(DELIVERY, "", False, said)])
        return
    document = _json(first.body.decode(errors="replace"))
    found = schema_finding("", document, "listen", None, DELIVERY)
    verdict.add([Finding(DELIVERY, "", found.passed, f"the delivery is {found.text}")])
    in_body = _get(document, "metadata", "request_id")
    verdict.add([
        Finding(REQUEST_ID, "", in_body == verdict.request_id,
                f"the delivery's metadata.request_id is {in_body!r}; the immediate answer's "
                f"request_id is {verdict.request_id!r}"),
    ])  # fmt: skip


def sent_of(wav: bytes, duration: float, channels: int, tolerance: float) -> Sent:
    """What a clip carries, as the metadata rules compare it."""
    return Sent(hashlib.sha256(wav).hexdigest(), len(wav), duration, channels, tolerance)


def _json(text: str) -> Any:
    """A body's JSON, or None."""
    try:
        return json.loads(text)
    except ValueError:
        return None


def _get(document: Any, *path: str) -> Any:
    """A nested value, or None where the path breaks."""
    for key in path:
        document = document.get(key) if isinstance(document, dict) else None
    return document
