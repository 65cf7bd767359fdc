"""What a run proved: requirements not verified are grouped by what would unlock them, and a
declared capability none of whose requirements was verified fails the run unless allowed."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from conformance.contract import catalogue
from conformance.errors import UsageError
from conformance.run import regress
from conformance.run.config import RunConfig
from conformance.run.profile import EMPTY, Profile
from conformance.run.proof import OWN_REASONS, prove, unverified_reason
from conformance.run.verdicts import CaseResult, Outcome, RequirementResult, Verdict, outcome

CATALOGUE = catalogue.load()
UNREACHABLE = (
    "POST ... -> 400: the target refused a callback URL on the suite's receiver at http://127.0.0.8"
    ":8080, a private address; give --callback-public-url with a public address"
)


def _result(
    requirement_id: str, verdict: Verdict, reason: str = "", **fields: str
) -> RequirementResult:
    requirement = CATALOGUE.requirement(requirement_id)
    case = CaseResult("case", requirement_id, verdict, reason, 0.1)
    return dataclasses.replace(
        RequirementResult(requirement, verdict, reason, True, [case]), **fields
    )


def _callbacks(verdict: Verdict, reason: str = "") -> list[RequirementResult]:
    return [
        _result(r.id, verdict, reason)
        for r in CATALOGUE.requirements
        if "callbacks" in r.capabilities
    ]


@pytest.mark.parametrize(
    ("reason", "expected"),
    [
        (UNREACHABLE, ("the target cannot reach the receiver", "give --callback-public-url")),
        (
            "the run has no project id: give --project-id (the project of the run's key)",
            ("the run has no project id", "give --project-id"),
        ),
        (
            "the run key's identifier is unknown (give --api-key-id): dg-token cannot be told",
            ("the key's identifier is unknown", "give --api-key-id"),
        ),
        (
            "the target does not declare the speak capability (through SPEAK-X); declare it",
            (
                "the speak capability is not declared",
                "declare it (--capabilities) if the target has it",
            ),
        ),
        (
            "budget: 118.2 of 120 audio seconds spent (--budget); this request would send 5.9",
            ("the budget ran out", "raise --budget"),
        ),
        ("no words were recognised, so nothing to check", OWN_REASONS),
    ],
)
def test_each_skip_is_grouped_by_what_would_unlock_it(
    reason: str, expected: tuple[str, str]
) -> None:
    assert unverified_reason(_result("LISTEN-SHA256", Verdict.SKIP, reason)) == expected


def test_a_blocked_skip_names_its_blocker_and_the_other_dialect_is_not_applicable() -> None:
    blocked = _result("LISTEN-CHANNELS", Verdict.SKIP, "blocked", blocked_by="LISTEN-SCHEMA")
    assert unverified_reason(blocked) == ("blocked: LISTEN-SCHEMA fails", "fix LISTEN-SCHEMA")
    other = _result(
        "KEYS-LEGACY-PAIR", Verdict.SKIP, "no pairs; give --dialect v2 for the legacy API"
    )
    assert unverified_reason(other) is None
    proof = prove([other, _result("KEYS-CREATE", Verdict.PASS)], ["keys"], [])
    assert (proof.verified, proof.not_verified, proof.not_applicable) == (1, 0, 1)
    assert proof.headline() == "all 1 requirements verified (1 not applicable)"
    assert unverified_reason(_result("LISTEN-SHA256", Verdict.FAIL, "wrong")) is None


def test_a_declared_capability_left_unverified_fails_the_run_unless_allowed() -> None:
    results = [_result("LISTEN-SHA256", Verdict.PASS), *_callbacks(Verdict.SKIP, UNREACHABLE)]
    proof = prove(results, ["callbacks"], [])
    [unproven] = proof.gating
    assert unproven.capability == "callbacks" and unproven.count == len(results) - 1
    assert "declared but not verified" in unproven.describe()
    assert outcome(results, unproven=bool(proof.gating)) is Outcome.FAILED
    assert "declared but not verified: callbacks" in proof.headline()
    callback_area = next(a for a in proof.areas if a.name == "CALLBACK")
    [group] = callback_area.groups
    assert group.describe("CALLBACK") == (
        f"CALLBACK: {len(group.ids)} not verified: the target cannot reach the receiver; "
        "give --callback-public-url"
    )
    assert not prove(results, ["callbacks"], ["CALLBACKS"]).gating
    areas = {r.requirement.area for r in results[1:]}
    assert not prove(results, ["callbacks"], areas).gating
    assert prove(results, ["callbacks"], ["CALLBACK"]).gating, "one area of several"
    assert not prove(results, [], []).unproven, "an undeclared capability never gates"
    one_checked = [*results[:-1], _result(results[-1].requirement.id, Verdict.FAIL, "x")]
    assert not prove(one_checked, ["callbacks"], []).unproven


def test_waivers_keep_a_hash_inside_the_reason_and_know_their_line(tmp_path: Path) -> None:
    waivers = tmp_path / "waivers.txt"
    waivers.write_text("# vendor bugs\n\nLISTEN-SHA256 ticket #42 # still open\n")
    [found] = regress.read_waivers(waivers, CATALOGUE)
    assert found.reason == "ticket #42 # still open"
    assert found.where == f"{waivers}:3"
    config = RunConfig.resolve({"known_failing": waivers}, EMPTY, {})
    stale = dataclasses.replace(
        _result("LISTEN-SHA256", Verdict.PASS), waiver=found.reason, waiver_line=found.where
    )
    assert config.waiver_lines == {"LISTEN-SHA256": f"{waivers}:3"}
    assert (
        stale.stale_waiver and f"{waivers}:3: LISTEN-SHA256 ticket #42" in stale.stale_waiver_line
    )


@pytest.mark.parametrize(
    ("flags", "profile", "message"),
    [
        ({"examples": 0}, {}, "--examples must be 1 or more"),
        ({}, {"timing": {"examples": 0}}, "--examples must be 1 or more"),
        ({"allow_unverified": ["NOPE"]}, {}, "unknown area or capability 'NOPE'"),
        ({"requirement": ["LISTEN-NOPE"]}, {}, "unknown requirement LISTEN-NOPE"),
        ({"cacert": Path("/no/such.pem")}, {}, "--cacert /no/such.pem: no such file"),
    ],
)
def test_bad_settings_are_one_line_usage_errors(
    flags: dict[str, object], profile: dict[str, object], message: str
) -> None:
    with pytest.raises(UsageError, match=message):
        RunConfig.resolve(flags, Profile(profile, "p.toml"), {})


def test_profile_keys_of_the_new_settings_resolve() -> None:
    profile = Profile(
        {
            "rate_limit": 2.5,
            "headers": {"X-Gateway": "blue", "X-Trace": "t"},
            "proxy": "http://proxy.example:3128",
            "tls_verify": False,
            "allow_unverified": ["keys"],
            "requirements": ["LISTEN-SHA256"],
        },
        "p.toml",
    )
    config = RunConfig.resolve({"header": [("x-trace", "flag")]}, profile, {})
    assert config.rate_limit == 2.5 and config.proxy == "http://proxy.example:3128"
    assert config.headers == (("X-Gateway", "blue"), ("x-trace", "flag"))
    assert config.tls_verify is False and config.allow_unverified == {"KEYS"}
    assert config.requirements == {"LISTEN-SHA256"}
    sha = CATALOGUE.requirement("LISTEN-SHA256")
    assert config.selects(sha) and not config.selects(CATALOGUE.requirement("AUTH-TOKEN"))
