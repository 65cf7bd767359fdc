"""Regressions: reading earlier reports, baselines, known-failing waivers, and report diffs."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from conformance.contract import shapes
from conformance.contract.catalogue import Catalogue
from conformance.errors import UsageError
from conformance.run.verdicts import BROKEN


def load_report(path: Path) -> dict[str, Any]:
    """A report.json, checked against its schema; a bad file is a usage error, in one line."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise UsageError(f"{path}: {exc.strerror or exc}") from None
    except ValueError as exc:
        raise UsageError(f"{path}: not JSON: {exc}") from None
    problems = shapes.problems("report", document, limit=1)
    if problems:
        raise UsageError(f"{path}: not a conformance report: {problems[0]}")
    return dict(document)


def verdicts(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Requirement entries by ID."""
    return {entry["id"]: entry for entry in report["requirements"]}


def baseline(path: Path) -> frozenset[str]:
    """IDs that passed in a baseline report: the only ones that gate with --baseline."""
    return frozenset(i for i, e in verdicts(load_report(path)).items() if e["verdict"] == "pass")


@dataclass(frozen=True)
class Waiver:
    """One line of a known-failing (or known-deviations) file."""

    requirement_id: str
    reason: str
    where: str
    """FILE:LINE, so a stale waiver's message points at the line to delete."""


def read_waivers(path: Path, catalogue: Catalogue, what: str = "--known-failing") -> list[Waiver]:
    """A known-failing (or a profile's known-deviations) file: one `ID  reason` a line; a line
    starting with `#` is a comment (a `#` inside a reason is kept: ticket #42); every ID must
    exist."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise UsageError(f"{what} {path}: {exc.strerror or exc}") from None
    known = {r.id for r in catalogue.requirements}
    found: list[Waiver] = []
    for number, line in enumerate(lines, 1):
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        requirement_id, _, reason = text.partition(" ")
        if requirement_id not in known:
            raise UsageError(f"{path}:{number}: unknown requirement {requirement_id!r}")
        if not reason.strip():
            raise UsageError(f"{path}:{number}: {requirement_id} needs a reason after the ID")
        found.append(Waiver(requirement_id, reason.strip(), f"{path}:{number}"))
    return found


def waivers(path: Path, catalogue: Catalogue, what: str = "--known-failing") -> dict[str, str]:
    """The reasons of a waiver file by requirement ID (read_waivers)."""
    return {w.requirement_id: w.reason for w in read_waivers(path, catalogue, what)}


@dataclass
class Diff:
    """What changed between two reports."""

    newly_failing: list[tuple[str, str, str]] = field(default_factory=list)
    newly_passing: list[tuple[str, str]] = field(default_factory=list)
    changed: list[tuple[str, str, str]] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)


def diff(old: dict[str, Any], new: dict[str, Any]) -> Diff:
    """Compare verdicts and failure reasons requirement by requirement."""
    before, after = verdicts(old), verdicts(new)
    result = Diff(added=sorted(set(after) - set(before)), removed=sorted(set(before) - set(after)))
    for requirement_id, now in after.items():
        then = before.get(requirement_id)
        was = then["verdict"] if then else "absent"
        if now["verdict"] in BROKEN and was not in BROKEN:
            result.newly_failing.append((requirement_id, was, now["reason"]))
        elif now["verdict"] == "pass" and was in BROKEN:
            result.newly_passing.append((requirement_id, was))
        elif now["verdict"] in BROKEN and then is not None and then["reason"] != now["reason"]:
            result.changed.append((requirement_id, then["reason"], now["reason"]))
    return result


def render(result: Diff) -> str:
    """The diff as plain text, newly failing first."""
    lines = []
    for requirement_id, was, reason in result.newly_failing:
        lines.append(f"NEWLY FAILING {requirement_id} (was {was}): {reason}")
    for requirement_id, was in result.newly_passing:
        lines.append(f"newly passing {requirement_id} (was {was})")
    for requirement_id, then, now in result.changed:
        lines.append(f"changed evidence {requirement_id}:\n  was: {then}\n  now: {now}")
    lines += [f"added {i}" for i in result.added] + [f"removed {i}" for i in result.removed]
    counts = (
        f"{len(result.newly_failing)} newly failing, {len(result.newly_passing)} newly "
        f"passing, {len(result.changed)} with changed evidence"
    )
    return "\n".join([*lines, counts]) + "\n"
