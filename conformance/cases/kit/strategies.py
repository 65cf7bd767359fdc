"""Hypothesis strategies derived from the parameter catalogue: valid and invalid query strings."""

from __future__ import annotations

from hypothesis import strategies as st

from conformance.contract.catalogue import Parameter

Query = list[tuple[str, str]]

LIKE_BOOLEAN = {"true", "false", "1", "0", "yes", "no", "on", "off", "t", "f", "y", "n"}
"""Words some servers read as booleans; never offered as an invalid boolean."""

LIKE_NUMBER = {"inf", "infinity", "nan"}
"""Words float parsers accept; never offered as an invalid number."""

_WORD = st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=10)
_PHRASE = st.lists(_WORD, min_size=1, max_size=3).map(" ".join)


def documented_values(parameter: Parameter) -> list[str]:
    """The values the documents name for a parameter, each to be tried alone."""
    match parameter.type:
        case "boolean":
            return ["true", "false"]
        case "enum":
            return list(parameter.values)
        case "integer":
            low = int(parameter.minimum or 0)
            high = int(parameter.maximum_generated or low + 1)
            return sorted({str(low), str(high)})
        case "number":
            return ["0.5", "0.8", "2"]
        case _:
            return list(parameter.examples)


def _one_valid(parameter: Parameter) -> st.SearchStrategy[str]:
    """Any single valid value of a parameter."""
    match parameter.type:
        case "boolean":
            return st.sampled_from(["true", "false"])
        case "enum":
            return st.sampled_from(parameter.values)
        case "integer":
            low = int(parameter.minimum if parameter.minimum is not None else 0)
            return st.integers(low, int(parameter.maximum_generated or low + 10)).map(str)
        case "number":
            floor = parameter.exclusive_minimum if parameter.exclusive_minimum is not None else 0.0
            ceiling = parameter.maximum_generated or 10.0
            return st.floats(floor, ceiling, exclude_min=True).map(
                lambda v: f"{max(v, floor + 0.01):.2f}"
            )
        case _:
            if parameter.repeatable:
                return _PHRASE
            return st.sampled_from(parameter.examples)


def valid_values(parameter: Parameter) -> st.SearchStrategy[list[str]]:
    """One value, or a few for a repeatable parameter (well under any documented limit)."""
    one = _one_valid(parameter)
    if parameter.repeatable:
        return st.lists(one, min_size=1, max_size=3)
    return one.map(lambda value: [value])


def _invalid(parameter: Parameter) -> st.SearchStrategy[str] | None:
    """Values outside the documented domain by their type, or None when the domain is open.
    A number of the right type below its range (utt_split=0, alternatives=0) is not generated:
    no document says it is refused, and a lenient service may clamp it (issue 14)."""
    match parameter.type:
        case "boolean":
            return _WORD.filter(lambda w: w not in LIKE_BOOLEAN) | st.sampled_from(
                ["2", "-1", "tru"]
            )
        case "enum":
            return _WORD.map(lambda w: f"not-{w}")
        case "integer":
            return st.sampled_from(["1.5", "two", "3x"])
        case "number":
            return _WORD.filter(lambda w: w not in LIKE_NUMBER and w != "e")
        case _:
            if parameter.intensifier:
                return st.tuples(_WORD, _WORD).map(lambda p: f"{p[0]}:{p[1]}x")
            return None


def valid_queries(parameters: list[Parameter]) -> st.SearchStrategy[Query]:
    """Combinations of a few parameters, each with valid values."""

    def build(chosen: list[tuple[Parameter, list[str]]]) -> Query:
        return [(p.name, value) for p, values in chosen for value in values]

    combos = st.lists(
        st.sampled_from(parameters), min_size=1, max_size=4, unique_by=lambda p: p.name
    )
    return combos.flatmap(
        lambda ps: st.tuples(*(st.tuples(st.just(p), valid_values(p)) for p in ps)).map(
            lambda chosen: build(list(chosen))
        )
    )


def invalid_queries(parameters: list[Parameter]) -> st.SearchStrategy[tuple[str, Query]]:
    """A query with exactly one invalid value (named first) among valid ones."""
    breakable = [(p, s) for p in parameters if (s := _invalid(p)) is not None]

    def with_context(bad: tuple[Parameter, str]) -> st.SearchStrategy[tuple[str, Query]]:
        parameter, value = bad
        others = [p for p in parameters if p.name != parameter.name]
        context: st.SearchStrategy[Query] = st.just([]) | valid_queries(others)
        return context.map(lambda q: (f"{parameter.name}={value}", [(parameter.name, value), *q]))

    pick = st.sampled_from(breakable).flatmap(lambda ps: ps[1].map(lambda v: (ps[0], v)))
    return pick.flatmap(with_context)


def documented_rounds(parameters: list[Parameter]) -> list[Query]:
    """Every documented value in as few queries as no parameter appears twice in (a repeatable
    one takes all its values in the first): round N holds each parameter's Nth value."""
    rounds: list[Query] = []
    for parameter in parameters:
        values = documented_values(parameter)
        spread = [values] if parameter.repeatable else [[value] for value in values]
        for index, chosen in enumerate(spread):
            if index == len(rounds):
                rounds.append([])
            rounds[index] += [(parameter.name, value) for value in chosen]
    return rounds
