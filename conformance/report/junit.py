"""JUnit XML: one testcase per requirement, for CI pages."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from conformance.report import sources
from conformance.report.finish import WriteAtFinish
from conformance.report.view import RunView
from conformance.run.proof import Unproven, unverified_reason
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
        ("source_title", sources.title(requirement.source)),
        ("quote", requirement.quote),
        ("gated", str(result.gated).lower()),
        ("verified", str(unverified_reason(result) is None).lower()),
    ):
        ET.SubElement(properties, "property", name=name, value=value)
    first_line = result.reason.splitlines()[0] if result.reason else ""
    details = "\n".join(
        [result.reason, *(f"reproducer: {c.reproducer}" for c in result.cases if c.reproducer)]
    )
    if result.stale_waiver:
        ET.SubElement(
            element,
            "failure",
            message=f"stale waiver: {result.stale_waiver_line}",
            type="stale-waiver",
        ).text = details
    elif result.verdict is Verdict.SKIP:
        ET.SubElement(element, "skipped", message=first_line)
    elif result.verdict in BROKEN and not result.gated:  # a warning, as CI pages show one
        warning = f"{result.verdict.value}, not gating ({result.ungated_why}): {first_line}"
        ET.SubElement(element, "skipped", message=warning, type="not-gating").text = details
    elif result.verdict is Verdict.ERROR:
        ET.SubElement(element, "error", message=first_line, type="harness").text = details
    elif result.verdict in BROKEN:  # a failure or a timeout: the error is above
        kind = f"{requirement.level.value}-{result.verdict.value}"
        ET.SubElement(element, "failure", message=first_line, type=kind).text = details
    return element


def _unproven(unproven: Unproven) -> ET.Element:
    """A declared capability none of whose requirements was verified, as a testcase."""
    element = ET.Element(
        "testcase",
        classname="conformance.capabilities",
        name=f"{unproven.capability} declared and verified",
        time="0.000",
    )
    if unproven.allowed:
        ET.SubElement(element, "skipped", message=unproven.describe())
    else:
        ET.SubElement(element, "failure", message=unproven.describe(), type="declared-not-verified")
    return element


class JUnitWriter(WriteAtFinish):
    """Writes the JUnit file when the run finishes."""

    def render(self, view: RunView) -> str:
        """The XML document: one testsuite of one testcase per requirement, and one per
        declared capability left unverified (a failure when it gates): its failures are
        exactly what fails the run."""
        cases = [_testcase(r) for r in view.requirements]
        cases += [_unproven(u) for u in view.proof.unproven]
        suite = ET.Element(
            "testsuite",
            name="conformance",
            tests=str(len(cases)),
            failures=str(sum(c.find("failure") is not None for c in cases)),
            errors=str(sum(c.find("error") is not None for c in cases)),
            skipped=str(sum(c.find("skipped") is not None for c in cases)),
            time=f"{view.seconds:.3f}",
            timestamp=view.started.isoformat(),
        )
        properties = ET.SubElement(suite, "properties")
        for name, value in (
            ("verification", view.headline),
            ("verified", str(view.proof.verified)),
            ("not_verified", str(view.proof.not_verified)),
            ("interrupted", str(view.interrupted).lower()),
        ):
            ET.SubElement(properties, "property", name=name, value=value)
        for area in view.proof.areas:
            for group in area.groups:
                ET.SubElement(
                    properties,
                    "property",
                    name="not_verified_group",
                    value=group.describe(area.name),
                )
        suite.extend(cases)
        root = ET.Element("testsuites")
        root.append(suite)
        ET.indent(root)
        return "<?xml version='1.0' encoding='utf-8'?>\n" + ET.tostring(root, encoding="unicode")
