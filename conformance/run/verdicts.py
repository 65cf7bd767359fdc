"""Verdicts: what each case found, what each requirement gets, and whether the run passes."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from conformance.contract.catalogue import Requirement

if TYPE_CHECKING:
    from conformance.run.config import RunConfig


class Verdict(StrEnum):
    """The outcome of a case or a requirement."""

    PASS = "pass"
    FAIL = "fail"
    SKIP = "skip"
    ERROR = "error"
    TIMEOUT = "timeout"


SEVERITY = (Verdict.FAIL, Verdict.TIMEOUT, Verdict.ERROR, Verdict.PASS, Verdict.SKIP)
"""A requirement takes the first verdict in this order that any of its cases has."""


class Outcome(StrEnum):
    """The run as a whole, as the exit code tells it."""

    PASSED = "passed"
    FAILED = "failed"
    HARNESS_ERROR = "harness-error"


@dataclass
class CaseResult:
    """What one case found, with its evidence."""

    name: str
    requirement_id: str
    verdict: Verdict
    reason: str
    duration: float
    exchanges: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    reproducer: str | None = None
    callbacks: list[dict[str, Any]] = field(default_factory=list)
    """Timelines of the callback attempts the case received (conformance/cases/schedule.py)."""
    blocked_by: str | None = None
    """The requirement that fails for what this case needed (its verdict is then skip)."""


@dataclass
class RequirementResult:
    """A requirement's verdict, from its cases."""

    requirement: Requirement
    verdict: Verdict
    reason: str
    gated: bool
    cases: list[CaseResult]
    waiver: str | None = None
    """Why the requirement is known to fail (--known-failing), if it is waived."""
    ungated_why: str | None = None
    """Why a failure here does not fail the run (level, baseline, waiver)."""
    blocked_by: str | None = None
    """The requirement whose failure left this one unjudged (a skip), if that is why."""
    deviation: str | None = None
    """Where the profiled service is documented to depart here (the profile's deviations)."""
    waiver_line: str | None = None
    """Where the waiver is written (FILE:LINE), when it came from a file."""

    @property
    def stale_waiver(self) -> bool:
        """A waived requirement that passes now: the waiver must go, so the run fails."""
        return self.waiver is not None and self.verdict is Verdict.PASS

    @property
    def stale_waiver_line(self) -> str:
        """What a report says of a stale waiver: the line to delete and why it was written."""
        where = f"{self.waiver_line}: " if self.waiver_line else ""
        return (
            f"{self.requirement.id} passes now; delete its line from the "
            f"known-failing file ({where}{self.requirement.id} {self.waiver})"
        )

    @property
    def deviation_not_seen(self) -> bool:
        """A documented deviation that passes now: told, never failing (the service changed)."""
        return self.deviation is not None and self.waiver is None and self.verdict is Verdict.PASS


def judge(
    requirement: Requirement, cases: list[CaseResult], config: RunConfig
) -> RequirementResult:
    """Combine case verdicts (the worst wins, its reason explains) and decide whether it gates."""
    deciding = deciding_case(cases)
    verdict, reason = deciding.verdict, deciding.reason
    waiver = config.waivers.get(requirement.id)
    deviation = config.deviations.get(requirement.id)
    if waiver is not None:
        why: str | None = f"known failing: {waiver}"
    elif deviation is not None:
        why = f"known deviation of the service: {deviation}"
    elif not config.gates(requirement.level):
        why = (
            "MAY never gates"
            if requirement.level == "MAY"
            else f"{requirement.level.value} gates only with --strict"
        )
    elif config.baseline is not None and requirement.id not in config.baseline:
        why = "did not pass in the baseline"
    else:
        why = None
    return RequirementResult(
        requirement,
        verdict,
        reason,
        why is None,
        cases,
        waiver,
        why,
        deciding.blocked_by,
        deviation,
        config.waiver_lines.get(requirement.id) if waiver is not None else None,
    )


def deciding_case(cases: list[CaseResult]) -> CaseResult:
    """The case whose verdict a requirement takes: the first with the worst verdict."""
    verdict = next(v for v in SEVERITY if any(c.verdict is v for c in cases))
    return next(c for c in cases if c.verdict is verdict)


BROKEN = frozenset({Verdict.FAIL, Verdict.TIMEOUT, Verdict.ERROR})
"""Verdicts that say the requirement does not hold (or could not be judged for a bug)."""
EXCERPT = 300
"""Characters of a blocked case's own finding kept in its reason (the evidence keeps it all)."""


def _excerpt(text: str) -> str:
    """The start of a finding, short enough to read beside the requirement that blocks it."""
    return text if len(text) <= EXCERPT else text[: EXCERPT - 3] + "..."


def attribute_blocked(results: list[CaseResult]) -> list[CaseResult]:
    """Settle each blocked case once its prerequisite is judged: a skip naming the requirement
    that fails for it, or this requirement's own failure when that one passed (the defect then
    shows only under this requirement's conditions). Returns the cases it settled."""
    by_requirement: dict[str, list[CaseResult]] = {}
    for result in results:
        by_requirement.setdefault(result.requirement_id, []).append(result)
    pending = [r for r in results if r.blocked_by]
    unsettled = {id(r) for r in pending}

    def judged(requirement_id: str) -> CaseResult | None:
        cases = by_requirement.get(requirement_id, [])
        for result in cases:
            if id(result) in unsettled:
                settle(result)
        return deciding_case(cases) if cases else None

    def settle(result: CaseResult) -> None:
        unsettled.discard(id(result))
        prerequisite = result.blocked_by
        assert prerequisite is not None
        deciding = judged(prerequisite)
        if deciding is not None and deciding.verdict is Verdict.PASS:
            result.verdict, result.blocked_by = Verdict.FAIL, None
            result.reason = (
                f"{result.reason} ({prerequisite} passes, so the defect is "
                f"{result.requirement_id}'s own)"
            )
            return
        result.reproducer = None
        here = _excerpt(result.reason)
        if deciding is not None and deciding.verdict in BROKEN:
            result.reason = f"blocked: {prerequisite} fails (here: {here})"
        elif deciding is not None and deciding.blocked_by:
            result.blocked_by = deciding.blocked_by
            result.reason = (
                f"blocked: {deciding.blocked_by} fails, which {prerequisite} needs (here: {here})"
            )
        else:
            result.blocked_by = None
            why = _excerpt(deciding.reason) if deciding is not None else "it was not run"
            result.reason = (
                f"not judged: it needs {prerequisite}, which was not judged ({why}); here: {here}"
            )

    for result in pending:
        if id(result) in unsettled:
            settle(result)
    return pending


def summarise(results: list[RequirementResult]) -> dict[str, int]:
    """Counts for the report's summary block."""
    counts = Counter(r.verdict for r in results)
    return {
        "total": len(results),
        "passed": counts[Verdict.PASS],
        "failed": counts[Verdict.FAIL],
        "skipped": counts[Verdict.SKIP],
        "blocked": sum(1 for r in results if r.blocked_by),
        "errors": counts[Verdict.ERROR],
        "timeouts": counts[Verdict.TIMEOUT],
    }


def blocked_groups(results: list[RequirementResult]) -> dict[str, list[str]]:
    """Each failing requirement that left others unjudged, with the IDs it blocked."""
    groups: dict[str, list[str]] = {}
    for result in results:
        if result.blocked_by:
            groups.setdefault(result.blocked_by, []).append(result.requirement.id)
    return groups


def outcome(results: list[RequirementResult], unproven: bool = False) -> Outcome:
    """Failed if a gated requirement failed or timed out, a waiver is stale, or a declared
    capability went unverified (`unproven`, run/proof.py); a harness error if a case broke."""
    if any(r.gated and r.verdict in {Verdict.FAIL, Verdict.TIMEOUT} for r in results):
        return Outcome.FAILED
    if unproven or any(r.stale_waiver for r in results):
        return Outcome.FAILED
    if any(r.verdict is Verdict.ERROR for r in results):
        return Outcome.HARNESS_ERROR
    return Outcome.PASSED
