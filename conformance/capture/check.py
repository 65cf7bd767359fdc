"""`conformance validate` end to end: read each capture, judge it, say each judgement (with
credentials redacted), and send the findings to the report writers."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from conformance.capture import judge, read, report
from conformance.capture.model import Finding
from conformance.run.events import Handler
from conformance.run.verdicts import Outcome
from conformance.wire.redact import Redactor


def check(
    paths: Sequence[Path], kind: str | None, handlers: Sequence[Handler], say: Callable[[str], None]
) -> Outcome:
    """Judge every file; FAILED when a rule fails or when nothing could be judged at all, so
    that a capture holding no traffic of the contract never passes a CI gate."""
    findings: list[Finding] = []
    unjudged: list[str] = []
    secrets: set[str] = set()
    for path in paths:
        capture = read.read(path)
        found, passed_over = judge.capture(capture, kind)
        findings += found
        unjudged += passed_over
        secrets |= capture.secrets
    redactor = Redactor(secrets)
    for finding in findings:
        say(redactor.text(f"{finding.where}: {finding.text} [{finding.requirement}]"))
    for line in unjudged:
        say(redactor.text(line))
    if not findings:
        say("nothing judged: no message or answer of the contract in the capture")
        return Outcome.FAILED
    target = "capture " + " ".join(str(path) for path in paths)
    return report.emit(redactor.text(target), findings, frozenset(secrets), handlers)
