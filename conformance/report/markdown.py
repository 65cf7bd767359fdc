"""A Markdown summary: for release notes, pull requests and $GITHUB_STEP_SUMMARY."""

from __future__ import annotations

import os
from collections import Counter

from conformance.contract.catalogue import AREAS
from conformance.report.finish import WriteAtFinish
from conformance.run.events import RunFinished, RunStarted
from conformance.run.verdicts import Outcome, Verdict, blocked_groups
from conformance.wire import cost

_ICON = {
    Verdict.PASS: "✅",
    Verdict.FAIL: "❌",
    Verdict.SKIP: "⏭️",
    Verdict.ERROR: "💥",
    Verdict.TIMEOUT: "⏱️",
}


def _cell(text: str) -> str:
    """Text safe inside a Markdown table cell."""
    return text.replace("|", "\\|").replace("\n", " ")


def _rate_limited(finish: RunFinished) -> list[str]:
    """A line counting the rate-limit refusals waited out, when there were any."""
    if not finish.rate_limited:
        return []
    where = ", ".join(f"{name} {count}" for name, count in finish.rate_limited.items())
    total = sum(finish.rate_limited.values())
    return [f"Rate-limited answers (429) waited out: {total} ({where}).", ""]


def render(start: RunStarted, finish: RunFinished) -> str:
    """The summary: outcome, counts per area, then every requirement not passing."""
    verdict = {
        Outcome.PASSED: "passed",
        Outcome.FAILED: "FAILED",
        Outcome.HARNESS_ERROR: "harness error",
    }[finish.outcome]
    lines = [
        f"## Conformance: {verdict}",
        "",
        f"Target `{start.target}`, {len(finish.requirements)} requirements, "
        f"{(finish.finished - finish.started).total_seconds():.1f} s.",
        "",
        *(f"> **Warning:** {notice}\n" for notice in finish.notices),
        *_rate_limited(finish),
        f"Cost: {cost.describe(finish.cost)}.",
        "",
        "| area | " + " | ".join(f"{_ICON[v]} {v.value}" for v in Verdict) + " |",
        "| --- |" + " ---: |" * len(Verdict),
    ]
    for area in AREAS:
        counts = Counter(r.verdict for r in finish.requirements if r.requirement.area == area)
        if counts:
            lines.append(f"| {area} | " + " | ".join(str(counts[v]) for v in Verdict) + " |")
    for blocker, blocked in blocked_groups(finish.requirements).items():
        lines += ["", f"**Blocked by `{blocker}`** (not judged): " + ", ".join(blocked)]
    for result in (r for r in finish.requirements if r.deviation_not_seen):
        lines += [
            "",
            f"**Deviation not seen:** `{result.requirement.id}` passes now; the documented "
            f"deviation ({_cell(result.deviation or '')}) may be gone (not failing the run).",
        ]
    trouble = [r for r in finish.requirements if r.verdict is not Verdict.PASS]
    if trouble:
        lines += ["", "| requirement | level | verdict | reason |", "| --- | --- | --- | --- |"]
        for result in trouble:
            gate = "" if result.gated or result.verdict is Verdict.SKIP else " (not gating)"
            lines.append(
                f"| `{result.requirement.id}` | {result.requirement.level.value}{gate} "
                f"| {_ICON[result.verdict]} {result.verdict.value} "
                f"| {_cell(result.reason)} |"
            )
    return "\n".join(lines) + "\n"


class MarkdownWriter(WriteAtFinish):
    """Writes the summary to a file and appends it to $GITHUB_STEP_SUMMARY when set."""

    def render(self, start: RunStarted, finish: RunFinished) -> str:
        """The summary."""
        return render(start, finish)

    def written(self, text: str) -> None:
        """Also append to GitHub's job summary, where the run is a step of a workflow."""
        summary = os.environ.get("GITHUB_STEP_SUMMARY")
        if summary:
            with open(summary, "a", encoding="utf-8") as out:
                out.write(text)
