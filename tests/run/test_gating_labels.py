"""Why a failure does not gate is said truthfully: MAY never gates, SHOULD gates with --strict."""

from __future__ import annotations

import pytest

from conformance.contract import catalogue
from conformance.contract.catalogue import Level
from conformance.run.config import AuthScheme, Credentials, RunConfig
from conformance.run.verdicts import CaseResult, Verdict, judge


@pytest.mark.parametrize(
    ("level", "strict", "why"),
    [
        (Level.MAY, False, "MAY never gates"),
        (Level.MAY, True, "MAY never gates"),
        (Level.SHOULD, False, "SHOULD gates only with --strict"),
        (Level.SHOULD, True, None),
        (Level.MUST, False, None),
    ],
)
def test_the_label_of_a_failure_that_does_not_gate(
    level: Level, strict: bool, why: str | None
) -> None:
    requirement = next(r for r in catalogue.load().requirements if r.level is level)
    config = RunConfig(
        target="http://127.0.0.1:1", credentials=Credentials("k", AuthScheme.TOKEN), strict=strict
    )
    failed = CaseResult("case", requirement.id, Verdict.FAIL, "broken", 0.0)
    result = judge(requirement, [failed], config)
    assert result.ungated_why == why
    assert result.gated is (why is None)
