"""Reading code switching (language=multi) off an alternative: each word's language and the
alternative's languages, the same on pre-recorded answers and stream Results."""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from conformance.cases.kit.walk import get, items

LANGUAGE_TAG = re.compile(r"[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*")
"""A BCP-47 tag's outline: a primary subtag, then subtags."""


def _listed_problem(listed: Any, spoken: Counter[str]) -> str | None:
    """Why an alternative's languages is not the words' languages, most words first."""
    if not isinstance(listed, list) or not all(isinstance(tag, str) for tag in listed):
        return f"is {listed!r}, expected a list of language tags"
    if sorted(listed) != sorted(spoken):
        return f"lists {listed}; its words are in {sorted(spoken)}"
    counts = [spoken[tag] for tag in listed]
    if counts != sorted(counts, reverse=True):
        return f"lists {listed} for {counts} words each, expected most words first"
    return None


def language_problems(where: str, alternative: Any) -> tuple[int, list[str]]:
    """How many words the alternative at `where` has, and what is wrong with their languages:
    a word without a BCP-47 language, or a languages list other than theirs, most words first
    (judged only when present: the official SDK says it can be absent)."""
    spoken: Counter[str] = Counter()
    problems = []
    listed = items(get(alternative, "words"), f"{where}.words")
    for w, word in enumerate(listed):
        tag = word.get("language") if isinstance(word, dict) else None
        if isinstance(tag, str) and LANGUAGE_TAG.fullmatch(tag):
            spoken[tag] += 1
        else:
            problems.append(f"{where}.words[{w}].language is {tag!r}, expected a BCP-47 code")
    if isinstance(alternative, dict) and "languages" in alternative and not problems:
        problem = _listed_problem(alternative["languages"], spoken)
        if problem is not None:
            problems.append(f"{where}.languages {problem}")
    return len(listed), problems
