"""Walking a transcription defensively: a malformed body fails the check, never the harness."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from conformance.errors import CheckFailed


def get(document: Any, path: str) -> Any:
    """The value at a dotted path ("metadata.sha256"), failing readably when it is absent."""
    value = document
    walked = []
    for part in path.split("."):
        walked.append(part)
        if not isinstance(value, dict) or part not in value:
            raise CheckFailed(f"the response has no {'.'.join(walked)}")
        value = value[part]
    return value


def items(value: Any, where: str) -> list[Any]:
    """`value` as a list, failing when it is not one."""
    if not isinstance(value, list):
        raise CheckFailed(f"{where} is {type(value).__name__}, expected an array")
    return value


def number(value: Any, where: str) -> float:
    """`value` as a float, failing when it is not a JSON number."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise CheckFailed(f"{where} is {value!r}, expected a number")
    return float(value)


def result_channels(body: Any) -> list[Any]:
    """results.channels of a transcription."""
    return items(get(body, "results.channels"), "results.channels")


def alternatives(body: Any) -> Iterator[tuple[str, Any]]:
    """(where, alternative) for every alternative of every channel."""
    for c, channel in enumerate(result_channels(body)):
        where = f"results.channels[{c}].alternatives"
        for a, alternative in enumerate(items(get(channel, "alternatives"), where)):
            yield f"{where}[{a}]", alternative


def words(body: Any) -> Iterator[tuple[str, Any]]:
    """(where, word) for every word of every alternative of every channel."""
    for where, alternative in alternatives(body):
        for w, word in enumerate(items(get(alternative, "words"), f"{where}.words")):
            yield f"{where}.words[{w}]", word


def utterances(body: Any) -> list[Any]:
    """results.utterances, failing when absent."""
    return items(get(body, "results.utterances"), "results.utterances")


def ordinal_list(values: list[str], most: int = 3) -> str:
    """A short readable list of findings: the first few and how many more."""
    shown = "; ".join(values[:most])
    return shown + (f"; and {len(values) - most} more" if len(values) > most else "")
