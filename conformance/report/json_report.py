"""report.json: the machine-readable record of a run (validated by schemas/report.schema.json)."""

from __future__ import annotations

import json
from typing import Any

from conformance.report import sources
from conformance.report.finish import WriteAtFinish
from conformance.report.view import RunView
from conformance.run.proof import not_applicable, unverified_reason
from conformance.run.verdicts import RequirementResult

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
        "waiver_line": result.waiver_line,
        "verified": unverified_reason(result) is None and not not_applicable(result),
        "deviation": result.deviation,
        "deviation_not_seen": result.deviation_not_seen,
        "summary": requirement.summary,
        "source": requirement.source,
        "source_title": sources.title(requirement.source),
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

    def render(self, view: RunView) -> str:
        """The report as indented JSON."""
        return json.dumps(document(view), indent=2) + "\n"


def document(view: RunView) -> dict[str, Any]:
    """The report as a JSON-ready dict: the view, in the shape the report schema fixes."""
    return {
        "report_version": REPORT_VERSION,
        "tool": {"name": "conformance", "version": view.version},
        "target": view.target,
        "embedded": view.embedded,
        "config": view.config,
        "profile": view.profile,
        "started": view.started.isoformat(),
        "finished": view.finished.isoformat(),
        "duration": round(view.seconds, 3),
        "outcome": view.outcome.value,
        "summary": view.summary,
        "requirements": [requirement_entry(r) for r in view.requirements],
        "blocked": view.blocked,
        "left_on_target": list(view.left_on_target),
        "notices": list(view.notices),
        "rate_limited": {
            "responses": view.rate_limited_total,
            "by_endpoint": view.rate_limited,
        },
        "cost": view.cost,
        "interrupted": view.interrupted,
        "verification": verification(view),
    }


def verification(view: RunView) -> dict[str, Any]:
    """What the run verified and, per area, what it did not and what would let it."""
    proof = view.proof
    return {
        "headline": view.headline,
        "verified": proof.verified,
        "not_verified": proof.not_verified,
        "not_applicable": proof.not_applicable,
        "areas": [
            {
                "area": area.name,
                "verified": area.verified,
                "not_verified": area.not_verified,
                "not_applicable": area.not_applicable,
                "groups": [
                    {
                        "why": g.why,
                        "unlock": g.unlock,
                        "requirements": list(g.ids),
                        "line": g.describe(area.name),
                    }
                    for g in area.groups
                ],
            }
            for area in proof.areas
        ],
        "declared_not_verified": [
            {
                "capability": u.capability,
                "requirements": u.count,
                "allowed": u.allowed,
                "line": u.describe(),
            }
            for u in proof.unproven
        ],
        "stale_waivers": [r.stale_waiver_line for r in view.stale_waivers],
    }
