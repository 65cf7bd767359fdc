"""The smart formatting and audio intelligence options of a pre-recorded request, as parsed."""

from __future__ import annotations

from dataclasses import dataclass

ENUMS = {
    "summarize": frozenset({"v2", "true", "false"}),
    "custom_topic_mode": frozenset({"extended", "strict"}),
    "custom_intent_mode": frozenset({"extended", "strict"}),
    "diarize_model": frozenset({"latest", "v1", "v2"}),
}
"""Parameters with a closed list of values (the official spec's enums; summarize is v2 or a
boolean)."""


@dataclass(frozen=True)
class Features:
    """The smart formatting and audio intelligence options of a pre-recorded request."""

    paragraphs: bool = False
    summarize: str | None = None
    """v2, or true for the legacy per-alternative summaries; None when off."""
    topics: bool = False
    intents: bool = False
    sentiment: bool = False
    custom_topics: tuple[str, ...] = ()
    custom_topic_mode: str = "extended"
    custom_intents: tuple[str, ...] = ()
    custom_intent_mode: str = "extended"
    detect_language: bool = False
    detect_entities: bool = False


def features(
    flags: dict[str, bool], lists: dict[str, list[str]], enums: dict[str, str]
) -> Features:
    """The intelligence options out of the validated parameters."""
    summarize = enums.get("summarize", "false")
    return Features(
        paragraphs=flags.get("paragraphs", False),
        summarize=None if summarize == "false" else summarize,
        topics=flags.get("topics", False),
        intents=flags.get("intents", False),
        sentiment=flags.get("sentiment", False),
        custom_topics=tuple(lists["custom_topic"]),
        custom_topic_mode=enums.get("custom_topic_mode", "extended"),
        custom_intents=tuple(lists["custom_intent"]),
        custom_intent_mode=enums.get("custom_intent_mode", "extended"),
        detect_language=flags.get("detect_language", False),
        detect_entities=flags.get("detect_entities", False),
    )
