"""report.html: one self-contained page (no network, no scripts) for people and vendors."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import jinja2

from conformance.contract import catalogue, sentences
from conformance.contract.catalogue import AREAS
from conformance.report.finish import WriteAtFinish
from conformance.report.json_report import JsonReportWriter
from conformance.run.events import RunFinished, RunStarted
from conformance.run.verdicts import BROKEN, Verdict

_ENVIRONMENT = jinja2.Environment(
    loader=jinja2.PackageLoader("conformance.report", "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
)


def render(report: dict[str, Any], docs: Path | None = None) -> str:
    """The page for one report.json document: summary first, failures first within areas;
    each quote in its context when the contract documents are at hand (`docs`, by default
    $CONFORMANCE_SHARED or ../shared)."""
    entries = report["requirements"]
    order = {area: index for index, area in enumerate(AREAS)}
    areas = sorted({e["area"] for e in entries}, key=lambda a: order.get(a, len(order)))
    counts = {a: Counter(e["verdict"] for e in entries if e["area"] == a) for a in areas}
    by_area = [
        (
            a,
            sorted(
                (e for e in entries if e["area"] == a),
                key=lambda e: (e["verdict"] not in BROKEN, e["id"]),
            ),
        )
        for a in areas
    ]
    return _ENVIRONMENT.get_template("report.html.j2").render(
        report=report,
        verdicts=[v.value for v in Verdict],
        areas=[(a, counts[a]) for a in areas],
        totals=Counter(e["verdict"] for e in entries),
        failing=[e for e in entries if e["verdict"] in BROKEN and e["gated"]],
        by_area=by_area,
        broken=BROKEN,
        context=sentences.contexts(catalogue.load(), docs or sentences.default_docs()),
    )


class HtmlReportWriter(WriteAtFinish):
    """Writes report.html beside report.json when the run finishes."""

    def render(self, start: RunStarted, finish: RunFinished) -> str:
        """The page, from the same document as report.json."""
        return render(JsonReportWriter.document(start, finish))
