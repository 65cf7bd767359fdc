"""report.json: the machine-readable record of a run (validated by schemas/report.schema.json)."""

from __future__ import annotations

import json
from typing import Any

from conformance.report.finish import WriteAtFinish
from conformance.run.events import RunFinished, RunStarted
from conformance.run.verdicts import RequirementResult, blocked_groups, summarise
from conformance.version import __version__

REPORT_VERSION = 1
"""Bumped whenever a field changes meaning or disappears."""


def requirement_entry(result: RequirementResult) -> dict[str, Any]:
    """One requirement with its verdict and the evidence of each case."""
    requirement = result.requirement
    return {
        "id": requirement.id,
        "level": requirement.level.value,
        "area": requirement.area,
        "verdict": result.verdict.value,
        "reason": result.reason,
        "gated": result.gated,
        "not_gating_because": result.ungated_why,
        "blocked_by": result.blocked_by,
        "prerequisites": list(requirement.prerequisites),
        "waiver": result.waiver,
        "stale_waiver": result.stale_waiver,
        "deviation": result.deviation,
        "deviation_not_seen": result.deviation_not_seen,
        "summary": requirement.summary,
        "source": requirement.source,
        "quote": requirement.quote,
        "evidence": list(requirement.evidence),
        "cases": [
            {
                "name": case.name,
                "verdict": case.verdict.value,
                "reason": case.reason,
                "duration": case.duration,
                "evidence": {
                    "exchanges": case.exchanges,
                    "notes": case.notes,
                    **({"callbacks": case.callbacks} if case.callbacks else {}),
                },
                "reproducer": case.reproducer,
            }
            for case in result.cases
        ],
    }


class JsonReportWriter(WriteAtFinish):
    """Collects the run and writes report.json when it finishes."""

    def render(self, start: RunStarted, finish: RunFinished) -> str:
        """The report as indented JSON."""
        return json.dumps(self.document(start, finish), indent=2) + "\n"

    @staticmethod
    def document(start: RunStarted, finish: RunFinished) -> dict[str, Any]:
        """The report as a JSON-ready dict."""
        config = start.config
        return {
            "report_version": REPORT_VERSION,
            "tool": {"name": "conformance", "version": __version__},
            "target": start.target,
            "embedded": config.embedded,
            "config": {
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
            },
            "profile": {
                "source": config.profile_source,
                "settings": config.profile,
                "deviations": config.deviations_source,
            },
            "started": finish.started.isoformat(),
            "finished": finish.finished.isoformat(),
            "duration": round((finish.finished - finish.started).total_seconds(), 3),
            "outcome": finish.outcome.value,
            "summary": summarise(finish.requirements),
            "requirements": [requirement_entry(r) for r in finish.requirements],
            "blocked": blocked_groups(finish.requirements),
            "left_on_target": list(finish.left_on_target),
            "notices": list(finish.notices),
            "rate_limited": {
                "responses": sum(finish.rate_limited.values()),
                "by_endpoint": finish.rate_limited,
            },
            "cost": finish.cost,
        }
