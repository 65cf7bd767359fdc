"""The one view of a finished run that every report renders, so no two formats count apart."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from conformance.contract.catalogue import AREAS
from conformance.run.config import RunConfig
from conformance.run.events import RunFinished, RunStarted
from conformance.run.proof import Proof, prove
from conformance.run.verdicts import (
    BROKEN,
    Outcome,
    RequirementResult,
    Verdict,
    blocked_groups,
    summarise,
)
from conformance.version import __version__


@dataclass(frozen=True)
class AreaView:
    """One area's requirements and their counts by verdict (0 for a verdict none has)."""

    name: str
    counts: Counter[Verdict]
    requirements: tuple[RequirementResult, ...]


@dataclass(frozen=True)
class RunView:
    """What the reports show of one run, computed once from its first and last events."""

    version: str
    target: str
    embedded: bool
    config: dict[str, Any]
    """The settings that shaped the verdicts, as report.json records them."""
    profile: dict[str, Any]
    """Where the profile and its deviations came from, and what it set."""
    started: datetime
    finished: datetime
    outcome: Outcome
    requirements: tuple[RequirementResult, ...]
    """Every requirement judged, in the run's (the catalogue's) order."""
    areas: tuple[AreaView, ...]
    """The areas judged: the catalogue's in its order, then any other (CAPTURE) by name."""
    totals: Counter[Verdict]
    summary: dict[str, int]
    """report.json's summary block (blocked counted beside the verdicts)."""
    failing: tuple[RequirementResult, ...]
    """Broken (failed, timed out or errored) and gating the run."""
    not_passing: tuple[RequirementResult, ...]
    deviations_not_seen: tuple[RequirementResult, ...]
    blocked: dict[str, list[str]]
    """Each failing requirement that left others unjudged, with the IDs it blocked."""
    notices: tuple[str, ...]
    left_on_target: tuple[str, ...]
    rate_limited: dict[str, int]
    """Rate-limit refusals waited out, by endpoint."""
    cost: dict[str, Any]
    proof: Proof
    """What the run verified, per area, and why the rest was not (run/proof.py)."""
    stale_waivers: tuple[RequirementResult, ...]
    interrupted: bool
    """A stop signal ended the run: the requirements are those judged before it."""
    planned: int
    """Cases the run set out to run."""

    @property
    def seconds(self) -> float:
        """How long the run took."""
        return (self.finished - self.started).total_seconds()

    @property
    def rate_limited_total(self) -> int:
        """Rate-limit refusals waited out, all endpoints together."""
        return sum(self.rate_limited.values())

    @classmethod
    def of(cls, start: RunStarted, finish: RunFinished) -> RunView:
        """The view of the run these two events open and close."""
        results = tuple(finish.requirements)
        return cls(
            version=__version__,
            target=start.target,
            embedded=start.config.embedded,
            config=_settings(start.config),
            profile={
                "source": start.config.profile_source,
                "settings": start.config.profile,
                "deviations": start.config.deviations_source,
            },
            started=finish.started,
            finished=finish.finished,
            outcome=finish.outcome,
            requirements=results,
            areas=_areas(results),
            totals=Counter(r.verdict for r in results),
            summary=summarise(finish.requirements),
            failing=tuple(r for r in results if r.verdict in BROKEN and r.gated),
            not_passing=tuple(r for r in results if r.verdict is not Verdict.PASS),
            deviations_not_seen=tuple(r for r in results if r.deviation_not_seen),
            blocked=blocked_groups(finish.requirements),
            notices=finish.notices,
            left_on_target=finish.left_on_target,
            rate_limited=finish.rate_limited,
            cost=finish.cost,
            proof=prove(results, start.config.capabilities, start.config.allow_unverified),
            stale_waivers=tuple(r for r in results if r.stale_waiver),
            interrupted=finish.interrupted,
            planned=start.case_count,
        )

    @property
    def headline(self) -> str:
        """What the run's last line says beside its outcome: what was verified of what."""
        if self.interrupted:
            return (
                f"{len(self.requirements)} requirements judged before the stop; "
                + self.proof.headline()
            )
        stale = len(self.stale_waivers)
        return self.proof.headline() + (f"; {stale} stale waiver(s)" if stale else "")


def _areas(results: tuple[RequirementResult, ...]) -> tuple[AreaView, ...]:
    """The results grouped by area, the areas in the catalogue's order."""
    order = {area: index for index, area in enumerate(AREAS)}
    names = sorted(
        {r.requirement.area for r in results}, key=lambda a: (order.get(a, len(order)), a)
    )
    grouped = {name: tuple(r for r in results if r.requirement.area == name) for name in names}
    return tuple(
        AreaView(name, Counter(r.verdict for r in members), members)
        for name, members in grouped.items()
    )


def _settings(config: RunConfig) -> dict[str, Any]:
    """The configuration as report.json records it (never a credential)."""
    return {
        "auth_scheme": config.credentials.scheme.value,
        "areas": sorted(config.areas),
        "strict": config.strict,
        "retry_delay": config.retry_delay,
        "retry_count": config.retry_count,
        "time_scale": config.timing.scale,
        "examples": config.examples,
        "capabilities": sorted(config.capabilities),
        "dialect": config.dialect,
        "stream_idle_timeout": config.stream_idle_timeout,
        "pace": config.pace,
        "concurrency": config.concurrency.as_report(),
        "budget": config.budget.as_report(),
    }
