"""What a run proved: per area, the requirements verified and those not, grouped by the one
thing that would let them be checked, so a green gate never hides what it left unchecked."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from conformance.contract.catalogue import AREAS, CAPABILITIES
from conformance.run.verdicts import RequirementResult, Verdict

NOT_APPLICABLE = (
    "give --dialect v2",
    "this run speaks the legacy v2",
    "legacy key API of document 004 has no",
)
"""Skips that say the requirement does not exist in the run's dialect: nothing to unlock."""

UNLOCKS: tuple[tuple[re.Pattern[str], str, str], ...] = (
    (
        re.compile(r"does not declare the (\w+) capability"),
        "the {0} capability is not declared",
        "declare it (--capabilities) if the target has it",
    ),
    (
        re.compile(r"--callback-public-url"),
        "the target cannot reach the receiver",
        "give --callback-public-url",
    ),
    (re.compile(r"--project-id"), "the run has no project id", "give --project-id"),
    (re.compile(r"--api-key-id"), "the key's identifier is unknown", "give --api-key-id"),
    (re.compile(r"^budget: "), "the budget ran out", "raise --budget"),
    (re.compile(r"^not judged: it needs (\S+)"), "{0} was not judged", "run {0} too"),
)
"""Skip reasons (as the cases word them) that name what would unlock them: (pattern, why,
what to do), the pattern's groups filled into both."""

OWN_REASONS = ("skipped for reasons of their own", "see each requirement's reason")
"""The group of skips no setting unlocks (the target recognised no words, offers no AMR)."""


@dataclass(frozen=True)
class Group:
    """Requirements of one area left unverified for the same reason."""

    why: str
    unlock: str
    ids: tuple[str, ...]

    def describe(self, area: str) -> str:
        """One line: 'CALLBACK: 16 not verified: the target cannot reach ...; give ...'."""
        return f"{area}: {len(self.ids)} not verified: {self.why}; {self.unlock}"


@dataclass(frozen=True)
class AreaProof:
    """One area's requirements: verified (judged pass or fail), not applicable, not verified."""

    name: str
    verified: int
    not_applicable: int
    groups: tuple[Group, ...]

    @property
    def not_verified(self) -> int:
        """Requirements of the area the run could not check."""
        return sum(len(g.ids) for g in self.groups)


@dataclass(frozen=True)
class Unproven:
    """A declared capability none of whose requirements was verified."""

    capability: str
    count: int
    allowed: bool
    """--allow-unverified names it (or the areas of its requirements): it does not gate."""

    def describe(self) -> str:
        """One line saying what gates, or why it does not."""
        what = f"{self.capability}: declared but not verified (0 of {self.count} checked)"
        if self.allowed:
            return f"{what}; allowed by --allow-unverified"
        return (
            f"{what}; give what the lines above name, drop it from --capabilities, or pass "
            f"--allow-unverified {self.capability}"
        )


@dataclass(frozen=True)
class Proof:
    """The verification of a whole run."""

    areas: tuple[AreaProof, ...]
    unproven: tuple[Unproven, ...]

    @property
    def verified(self) -> int:
        """Requirements judged on an observation, pass or fail."""
        return sum(a.verified for a in self.areas)

    @property
    def not_verified(self) -> int:
        """Requirements the run could not check."""
        return sum(a.not_verified for a in self.areas)

    @property
    def not_applicable(self) -> int:
        """Requirements that do not exist in the run's dialect."""
        return sum(a.not_applicable for a in self.areas)

    @property
    def gating(self) -> tuple[Unproven, ...]:
        """The declared capabilities left unverified that fail the run."""
        return tuple(u for u in self.unproven if not u.allowed)

    def headline(self) -> str:
        """A short clause for a run's last line: what was verified of what."""
        total = self.verified + self.not_verified
        if not self.not_verified:
            text = f"all {total} requirements verified"
        else:
            text = f"{self.verified} of {total} requirements verified, {self.not_verified} not"
        if self.not_applicable:
            text += f" ({self.not_applicable} not applicable)"
        if self.gating:
            text += "; declared but not verified: " + ", ".join(u.capability for u in self.gating)
        return text


def unverified_reason(result: RequirementResult) -> tuple[str, str] | None:
    """(why, unlock) of a requirement the run did not verify; None when it was verified or
    does not apply (a skip of the other dialect)."""
    if result.verdict is Verdict.ERROR:
        return "the harness broke", "see the error and report it"
    if result.verdict is not Verdict.SKIP:
        return None
    if result.blocked_by:
        return f"blocked: {result.blocked_by} fails", f"fix {result.blocked_by}"
    if any(marker in result.reason for marker in NOT_APPLICABLE):
        return None
    for pattern, why, unlock in UNLOCKS:
        found = pattern.search(result.reason)
        if found:
            return why.format(*found.groups()), unlock.format(*found.groups())
    return OWN_REASONS


def not_applicable(result: RequirementResult) -> bool:
    """A skip because the requirement does not exist in the run's dialect."""
    return result.verdict is Verdict.SKIP and unverified_reason(result) is None


def prove(
    results: Sequence[RequirementResult], declared: Iterable[str], allowed: Iterable[str]
) -> Proof:
    """The proof of a run: its results by area, and each declared capability whose
    requirements were all left unverified (allowed when --allow-unverified names the
    capability or every area those requirements are in)."""
    allow = {name.upper() for name in allowed}
    order = {area: index for index, area in enumerate(AREAS)}
    names = sorted({r.requirement.area for r in results}, key=lambda a: (order.get(a, 99), a))
    areas = []
    for name in names:
        members = [r for r in results if r.requirement.area == name]
        grouped: dict[tuple[str, str], list[str]] = {}
        verified = skipped_na = 0
        for result in members:
            reason = unverified_reason(result)
            if reason is not None:
                grouped.setdefault(reason, []).append(result.requirement.id)
            elif result.verdict is Verdict.SKIP:
                skipped_na += 1
            else:
                verified += 1
        groups = tuple(Group(why, unlock, tuple(ids)) for (why, unlock), ids in grouped.items())
        areas.append(AreaProof(name, verified, skipped_na, groups))
    unproven = []
    for capability in (c for c in CAPABILITIES if c in set(declared)):
        needing = [r for r in results if capability in r.requirement.capabilities]
        applicable = [r for r in needing if not not_applicable(r)]
        if applicable and all(unverified_reason(r) is not None for r in applicable):
            excused = (
                capability.upper() in allow or {r.requirement.area for r in applicable} <= allow
            )
            unproven.append(Unproven(capability, len(applicable), excused))
    return Proof(tuple(areas), tuple(unproven))
