"""report.html: one self-contained page (no network, no scripts) for people and vendors."""

from __future__ import annotations

import re
from pathlib import Path

import jinja2

from conformance.contract import catalogue, sentences
from conformance.report import sources
from conformance.report.finish import WriteAtFinish
from conformance.report.view import RunView
from conformance.run.verdicts import BROKEN, RequirementResult, Verdict

_ENVIRONMENT = jinja2.Environment(
    loader=jinja2.PackageLoader("conformance.report", "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
)


def render(view: RunView, docs: Path | None = None) -> str:
    """The page of one run: summary first, failures first within areas; each quote in its
    context when the contract documents are at hand (`docs`, by default $CONFORMANCE_SHARED or
    ../shared)."""
    page = _ENVIRONMENT.get_template("report.html.j2").render(
        view=view,
        source_title=sources.title,
        verdicts=list(Verdict),
        by_area=[
            (area.name, sorted(area.requirements, key=_failures_first)) for area in view.areas
        ],
        broken=BROKEN,
        context=sentences.contexts(catalogue.load(), docs or sentences.default_docs()),
    )
    return _CONTROL.sub(_shown, page)


_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
"""Characters HTML forbids (a NUL a target sent, in a body shown as evidence)."""


def _shown(found: re.Match[str]) -> str:
    """A forbidden character as visible text: \x00."""
    return f"\\x{ord(found.group()):02x}"


def _failures_first(result: RequirementResult) -> tuple[bool, str]:
    """Sort key within an area: the broken requirements first, each group by ID."""
    return result.verdict not in BROKEN, result.requirement.id


class HtmlReportWriter(WriteAtFinish):
    """Writes report.html beside report.json when the run finishes."""

    def render(self, view: RunView) -> str:
        """The page, from the same view as every other report."""
        return render(view)
