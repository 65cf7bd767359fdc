"""The engine's events: every report format is a handler of this stream."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from conformance.contract.catalogue import Catalogue
from conformance.run.config import RunConfig
from conformance.run.verdicts import CaseResult, Outcome, RequirementResult
from conformance.wire.cost import RunCost


@dataclass(frozen=True)
class RunStarted:
    """The run has a configuration and a list of cases to run."""

    config: RunConfig
    catalogue: Catalogue
    target: str
    started: datetime
    case_count: int


@dataclass(frozen=True)
class CaseStarted:
    """A case began."""

    name: str
    requirement_id: str


@dataclass(frozen=True)
class CaseFinished:
    """A case has its verdict."""

    result: CaseResult


@dataclass(frozen=True)
class RunFinished:
    """Every requirement has its verdict."""

    requirements: list[RequirementResult]
    outcome: Outcome
    started: datetime
    finished: datetime
    left_on_target: tuple[str, ...] = ()
    """What the run created on the target and could not delete (identifiers, never secrets)."""
    notices: tuple[str, ...] = ()
    """Warnings about the run as a whole (a route every case needs is missing)."""
    rate_limited: dict[str, int] = field(default_factory=dict)
    """Rate-limit refusals (429, or 503 with Retry-After) waited out, by endpoint."""
    cost: dict[str, Any] = field(default_factory=lambda: RunCost().as_report())
    """What the run spent: requests by endpoint, audio seconds, characters spoken, callback
    deliveries, and the budget (RunCost.as_report)."""
    interrupted: bool = False
    """A stop signal ended the run early: the requirements are those judged before it."""


@dataclass(frozen=True)
class Notice:
    """Something about the whole run a person must see first (a missing route)."""

    text: str


Event = RunStarted | Notice | CaseStarted | CaseFinished | RunFinished


class Handler(Protocol):
    """Receives every event in order; writers act on the ones they need."""

    def handle(self, event: Event) -> None:
        """React to one event."""
