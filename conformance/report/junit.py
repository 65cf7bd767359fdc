"""JUnit XML: one testcase per requirement, for CI pages."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from conformance.report.finish import WriteAtFinish
from conformance.report.view import RunView
from conformance.run.verdicts import BROKEN, RequirementResult, Verdict


def _testcase(result: RequirementResult) -> ET.Element:
    """A requirement as a testcase: failures carry the reason's first line and the evidence."""
    requirement = result.requirement
    seconds = sum(case.duration for case in result.cases)
    element = ET.Element(
        "testcase",
        classname=f"conformance.{requirement.area}",
        name=requirement.id,
        time=f"{seconds:.3f}",
    )
    properties = ET.SubElement(element, "properties")
    for name, value in (
        ("level", requirement.level.value),
        ("source", requirement.source),
        ("quote", requirement.quote),
        ("gated", str(result.gated).lower()),
    ):
        ET.SubElement(properties, "property", name=name, value=value)
    first_line = result.reason.splitlines()[0] if result.reason else ""
    details = "\n".join(
        [result.reason, *(f"reproducer: {c.reproducer}" for c in result.cases if c.reproducer)]
    )
    if result.verdict is Verdict.SKIP:
        ET.SubElement(element, "skipped", message=first_line)
    elif result.verdict is Verdict.ERROR:
        ET.SubElement(element, "error", message=first_line, type="harness").text = details
    elif result.verdict in BROKEN:  # a failure or a timeout: the error is above
        kind = f"{requirement.level.value}-{result.verdict.value}"
        ET.SubElement(element, "failure", message=first_line, type=kind).text = details
    return element


class JUnitWriter(WriteAtFinish):
    """Writes the JUnit file when the run finishes."""

    def render(self, view: RunView) -> str:
        """The XML document: one testsuite of one testcase per requirement."""
        cases = [_testcase(r) for r in view.requirements]
        count = view.totals
        suite = ET.Element(
            "testsuite",
            name="conformance",
            tests=str(len(cases)),
            failures=str(count[Verdict.FAIL] + count[Verdict.TIMEOUT]),
            errors=str(count[Verdict.ERROR]),
            skipped=str(count[Verdict.SKIP]),
            time=f"{view.seconds:.3f}",
            timestamp=view.started.isoformat(),
        )
        suite.extend(cases)
        root = ET.Element("testsuites")
        root.append(suite)
        ET.indent(root)
        return "<?xml version='1.0' encoding='utf-8'?>\n" + ET.tostring(root, encoding="unicode")
