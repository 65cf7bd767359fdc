"""dg-token without --api-key-id (issue 22 item 1): the suite knows the key it sent, so a
delivery whose dg-token is missing, or is the secret itself, fails even when the key's
identifier was not given; a correct one passes, with a note that only that much was checked."""

from __future__ import annotations

import pytest
from conftest import reference_run

from conformance.run.verdicts import Verdict

CALLBACKS = frozenset({"CALLBACK"})
DG_TOKENS = ("CALLBACK-DG-TOKEN",)
"""SPEAK-CALLBACK-DG-TOKEN is judged by the same code (delivery.check_dg_token)."""


def _verdicts(*faults: str) -> dict[str, tuple[Verdict, str]]:
    finished = reference_run(faults, key_id_known=False, areas=CALLBACKS)
    return {
        r.requirement.id: (r.verdict, r.reason)
        for r in finished.requirements
        if r.requirement.id in DG_TOKENS
    }


def test_a_correct_dg_token_passes_without_the_identifier() -> None:
    assert {rid: v for rid, (v, _) in _verdicts().items()} == dict.fromkeys(DG_TOKENS, Verdict.PASS)


@pytest.mark.parametrize(
    ("fault", "says"),
    [("callback-dg-token-secret", "the API key itself"), ("callback-no-dg-token", "no dg-token")],
)
def test_a_missing_or_secret_dg_token_fails_without_the_identifier(fault: str, says: str) -> None:
    verdict, reason = _verdicts(fault)["CALLBACK-DG-TOKEN"]
    assert verdict is Verdict.FAIL and says in reason, reason
