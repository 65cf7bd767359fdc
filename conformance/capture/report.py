"""A capture's findings as the events of a run, so that every report writer (report.json,
JUnit, Markdown) serves `conformance validate` as it serves `conformance run`."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from conformance.capture import rules
from conformance.capture.model import Finding
from conformance.contract import catalogue
from conformance.run.config import Credentials, RunConfig
from conformance.run.events import CaseFinished, Handler, RunFinished, RunStarted
from conformance.run.verdicts import CaseResult, Outcome, RequirementResult, Verdict, judge, outcome
from conformance.wire.redact import Redactor


def _exchange(exchange: dict[str, Any], redactor: Redactor) -> dict[str, Any]:
    """An exchange with credentials redacted from its URL, headers and body."""
    request, response = exchange["request"], exchange["response"]
    return {
        **exchange,
        "request": {
            **request,
            "url": redactor.text(request["url"]),
            "headers": {k: redactor.header(k, v) for k, v in request["headers"].items()},
        },
        "response": {
            **response,
            "headers": {k: redactor.header(k, v) for k, v in response["headers"].items()},
            "body": redactor.text(response["body"]),
        },
    }


def case(finding: Finding, redactor: Redactor) -> CaseResult:
    """A finding as a case of its requirement, redacted."""
    return CaseResult(
        name=redactor.text(finding.where),
        requirement_id=finding.requirement,
        verdict=Verdict.PASS if finding.passed else Verdict.FAIL,
        reason=redactor.text(finding.text),
        duration=0.0,
        exchanges=[_exchange(finding.exchange, redactor)] if finding.exchange else [],
    )


def emit(
    target: str, findings: list[Finding], secrets: frozenset[str], handlers: Sequence[Handler]
) -> Outcome:
    """Send the findings through the handlers as one finished run; its outcome. A capture
    gates SHOULD as --strict does: a regression check wants every documented shape."""
    started = datetime.now(UTC)
    config = RunConfig(target=target, credentials=Credentials(""), strict=True)
    known = catalogue.load()
    redactor = Redactor(secrets)
    cases = [case(f, redactor) for f in findings]
    for handler in handlers:
        handler.handle(RunStarted(config, known, target, started, len(cases)))
    for result in cases:
        for handler in handlers:
            handler.handle(CaseFinished(result))
    rank = {rid: n for n, rid in enumerate([r.id for r in known.requirements])}
    ids = sorted({c.requirement_id for c in cases}, key=lambda rid: (rank.get(rid, len(rank)), rid))
    judged: list[RequirementResult] = [
        judge(rules.requirement(known, rid), [c for c in cases if c.requirement_id == rid], config)
        for rid in ids
    ]
    finished = RunFinished(judged, outcome(judged), started, datetime.now(UTC))
    for handler in handlers:
        handler.handle(finished)
    return finished.outcome
