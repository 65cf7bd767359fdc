"""The strategies generated from the parameter catalogue stay inside (or outside) the domains."""

from __future__ import annotations

from hypothesis import given, settings

from conformance.cases.kit import strategies as generate
from conformance.contract import catalogue

PARAMETERS = list(catalogue.load().generated_parameters("listen"))
BY_NAME = {p.name: p for p in PARAMETERS}


def _valid(name: str, value: str) -> bool:
    parameter = BY_NAME[name]
    match parameter.type:
        case "boolean":
            return value in {"true", "false"}
        case "enum":
            return value in parameter.values
        case "integer":
            return value.lstrip("-").isdigit() and int(value) >= (parameter.minimum or 0)
        case "number":
            try:
                return float(value) > (parameter.exclusive_minimum or 0)
            except ValueError:
                return False
        case _:
            if parameter.intensifier and ":" in value:
                return False
            return value != ""


@settings(max_examples=200, derandomize=True)
@given(generate.valid_queries(PARAMETERS))
def test_valid_queries_hold_only_valid_values(query: generate.Query) -> None:
    assert query
    for name, value in query:
        assert _valid(name, value), (name, value)
    for name in {n for n, _ in query}:
        count = sum(1 for n, _ in query if n == name)
        limit = BY_NAME[name].max_count
        assert count == 1 or BY_NAME[name].repeatable
        assert limit is None or count < limit


@settings(max_examples=200, derandomize=True)
@given(generate.invalid_queries(PARAMETERS))
def test_invalid_queries_hold_exactly_one_invalid_value(
    example: tuple[str, generate.Query],
) -> None:
    culprit, query = example
    invalid = [f"{n}={v}" for n, v in query if not _valid(n, v)]
    assert invalid == [culprit]


def test_documented_values_cover_every_generated_parameter() -> None:
    rounds = generate.documented_rounds(PARAMETERS)
    sent = [pair for query in rounds for pair in query]
    assert {name for name, _ in sent} == set(BY_NAME)
    assert ("redact", "ssn") in sent
    every = [(p.name, v) for p in PARAMETERS for v in generate.documented_values(p)]
    assert sorted(sent) == sorted(every)


def test_a_round_names_a_parameter_that_takes_one_value_once() -> None:
    rounds = generate.documented_rounds(PARAMETERS)
    assert len(rounds) == max(
        len(generate.documented_values(p)) for p in PARAMETERS if not p.repeatable
    )
    for query in rounds:
        single = [n for n, _ in query if not BY_NAME[n].repeatable]
        assert len(single) == len(set(single))


def test_parameters_owned_by_other_areas_are_not_generated() -> None:
    assert {"callback", "tag", "extra", "callback_method"}.isdisjoint(BY_NAME)
