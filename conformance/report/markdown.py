"""A Markdown summary: for release notes, pull requests and $GITHUB_STEP_SUMMARY."""

from __future__ import annotations

import os

from conformance.report.finish import WriteAtFinish
from conformance.report.view import RunView
from conformance.run.verdicts import Outcome, Verdict
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


def _rate_limited(view: RunView) -> list[str]:
    """A line counting the rate-limit refusals waited out, when there were any."""
    if not view.rate_limited:
        return []
    where = ", ".join(f"{name} {count}" for name, count in view.rate_limited.items())
    return [f"Rate-limited answers (429) waited out: {view.rate_limited_total} ({where}).", ""]


def _verification(view: RunView) -> list[str]:
    """What was not verified and why, each declared capability left unverified, each stale
    waiver: the lines a green badge must not hide."""
    lines = [
        f"- **Not verified**: {_cell(group.describe(area.name))}"
        for area in view.proof.areas
        for group in area.groups
    ]
    lines += [f"- **Unverified capability**: {_cell(u.describe())}" for u in view.proof.unproven]
    lines += [
        f"- **Stale waiver** (fails the run): {_cell(r.stale_waiver_line)}"
        for r in view.stale_waivers
    ]
    if view.interrupted:
        lines.insert(
            0, f"- **Interrupted** by a stop signal: {len(view.requirements)} requirements judged"
        )
    return ["", *lines] if lines else []


def render(view: RunView) -> str:
    """The summary: outcome, counts per area, then every requirement not passing."""
    verdict = {
        Outcome.PASSED: "passed",
        Outcome.FAILED: "FAILED",
        Outcome.HARNESS_ERROR: "harness error",
    }[view.outcome]
    if view.interrupted:
        verdict = "interrupted"
    lines = [
        f"## Conformance: {verdict}: {view.headline}",
        "",
        f"Target `{view.target}`, {len(view.requirements)} requirements, {view.seconds:.1f} s.",
        "",
        *(f"> **Warning:** {notice}\n" for notice in view.notices),
        *_rate_limited(view),
        f"Cost: {cost.describe(view.cost)}.",
        "",
        "| area | " + " | ".join(f"{_ICON[v]} {v.value}" for v in Verdict) + " |",
        "| --- |" + " ---: |" * len(Verdict),
    ]
    for area in view.areas:
        lines.append(f"| {area.name} | " + " | ".join(str(area.counts[v]) for v in Verdict) + " |")
    lines += _verification(view)
    for blocker, blocked in view.blocked.items():
        lines += ["", f"**Blocked by `{blocker}`** (not judged): " + ", ".join(blocked)]
    for result in view.deviations_not_seen:
        lines += [
            "",
            f"**Deviation not seen:** `{result.requirement.id}` passes now; the documented "
            f"deviation ({_cell(result.deviation or '')}) may be gone (not failing the run).",
        ]
    if view.not_passing:
        lines += ["", "| requirement | level | verdict | reason |", "| --- | --- | --- | --- |"]
        for result in view.not_passing:
            gate = "" if result.gated or result.verdict is Verdict.SKIP else " (not gating)"
            lines.append(
                f"| `{result.requirement.id}` | {result.requirement.level.value}{gate} "
                f"| {_ICON[result.verdict]} {result.verdict.value} "
                f"| {_cell(result.reason)} |"
            )
    return "\n".join(lines) + "\n"


class MarkdownWriter(WriteAtFinish):
    """Writes the summary to a file and appends it to $GITHUB_STEP_SUMMARY when set."""

    def render(self, view: RunView) -> str:
        """The summary."""
        return render(view)

    def written(self, text: str) -> None:
        """Also append to GitHub's job summary, where the run is a step of a workflow."""
        summary = os.environ.get("GITHUB_STEP_SUMMARY")
        if summary:
            with open(summary, "a", encoding="utf-8") as out:
                out.write(text)
