"""Checks of the pre-recorded formatting and intelligence features (issue 15) for the per-fault
reference test (test_reference_faults.py merges them into its CHECKS and BREAKS)."""

from __future__ import annotations

from collections.abc import Callable
from itertools import pairwise
from typing import Any

from conformance.wire import audio

TOPICS = "topics=true&custom_topic=weather&custom_topic_mode=strict"
INTENTS = "intents=true&custom_intent=book&custom_intent_mode=strict"
SPEECH = "model=nova-3&keyterm=conformance&dictation=true&redact=pii&diarize_model=latest"
KEYTERMS = "model=nova-3" + "".join(f"&keyterm=probe+term+{n}" for n in range(101))
"""101 keyterms: past the 100 the reference allows."""


def _words(body: dict[str, Any]) -> list[dict[str, Any]]:
    words: list[dict[str, Any]] = body["results"]["channels"][0]["alternatives"][0]["words"]
    return words


def _paragraphs(p: Any) -> list[dict[str, Any]]:
    listed: list[dict[str, Any]] = p.body("paragraphs=true")["results"]["channels"][0][
        "alternatives"
    ][0]["paragraphs"]["paragraphs"]
    return listed


def _paragraph_times(p: Any) -> bool:
    listed = _paragraphs(p)
    inside = all(
        x["start"] <= s["start"] <= s["end"] <= x["end"] for x in listed for s in x["sentences"]
    )
    return bool(listed) and inside and all(a["end"] <= b["start"] for a, b in pairwise(listed))


def _indexed(segments: list[dict[str, Any]], count: int) -> bool:
    return bool(segments) and all(0 <= s["start_word"] <= s["end_word"] <= count for s in segments)


def _topics(p: Any) -> bool:
    body = p.body(TOPICS)
    segments = body["results"]["topics"]["segments"]
    scores = [t["confidence_score"] for s in segments for t in s["topics"]]
    return _indexed(segments, len(_words(body))) and all(0 <= x <= 1 for x in scores)


def _intents(p: Any) -> bool:
    body = p.body(INTENTS)
    segments = body["results"]["intents"]["segments"]
    scores = [t["confidence_score"] for s in segments for t in s["intents"]]
    return _indexed(segments, len(_words(body))) and all(0 <= x <= 1 for x in scores)


def _strict(p: Any, query: str, kind: str, custom: str) -> bool:
    segments = p.body(query)["results"][f"{kind}s"]["segments"]
    labels = {t[kind] for s in segments for t in s[f"{kind}s"]}
    return labels == {custom}


def _sentiment(p: Any) -> bool:
    body = p.body("sentiment=true")
    block = body["results"]["sentiments"]
    scores = [s["sentiment_score"] for s in block["segments"]]
    indexed = _indexed(block["segments"], len(_words(body)))
    return indexed and all(-1 <= x <= 1 for x in [*scores, block["average"]["sentiment_score"]])


def _info(p: Any) -> bool:
    metadata = p.body(f"summarize=v2&sentiment=true&{TOPICS}&{INTENTS}")["metadata"]
    keys = ("summary_info", "topics_info", "intents_info", "sentiment_info")
    return all(isinstance(metadata[k]["model_uuid"], str) for k in keys)


def _multilingual(p: Any) -> bool:
    alternative = p.body("model=nova-3&language=multi")["results"]["channels"][0]["alternatives"][0]
    spoken = [w.get("language") for w in alternative["words"]]
    listed = alternative.get("languages", [])
    return all(spoken) and sorted(listed) == sorted(set(spoken))


def _entities(p: Any) -> bool:
    alternative = p.body("detect_entities=true")["results"]["channels"][0]["alternatives"][0]
    return _indexed(alternative["entities"], len(alternative["words"]))


FEATURE_CHECKS: dict[str, Callable[[Any], bool]] = {
    "smart-format": lambda p: all(
        w["punctuated_word"] for w in _words(p.body("smart_format=true"))
    ),
    "paragraphs": lambda p: bool(_paragraphs(p)),
    "paragraph-words": lambda p: (
        sum(x["num_words"] for x in _paragraphs(p)) == len(_words(p.body("paragraphs=true")))
    ),
    "paragraph-times": _paragraph_times,
    "summary": lambda p: isinstance(p.body("summarize=v2")["results"]["summary"]["short"], str),
    "intelligence-info": _info,
    "topics": _topics,
    "custom-topic-strict": lambda p: _strict(p, TOPICS, "topic", "weather"),
    "intents": _intents,
    "custom-intent-strict": lambda p: _strict(p, INTENTS, "intent", "book"),
    "sentiment": _sentiment,
    "detect-language": lambda p: all(
        c["detected_language"]
        for c in p.body("detect_language=true&multichannel=true", clip=audio.stereo())["results"][
            "channels"
        ]
    ),
    "language-multi": _multilingual,
    "entities": _entities,
    "speech-options": lambda p: p.status(SPEECH) == 200,
    "keyterm-limit": lambda p: p.status(KEYTERMS) == 400,
}
"""Feature -> whether the server meets it."""

FEATURE_BREAKS: dict[str, set[str]] = {
    "smart-format-ignored": {"smart-format"},
    "no-paragraphs": {"paragraphs", "paragraph-words", "paragraph-times"},
    "paragraph-words-off": {"paragraph-words"},
    "sentences-outside-paragraph": {"paragraph-times"},
    "no-summary": {"summary"},
    "no-intelligence-info": {"intelligence-info"},
    "topic-segments-past-words": {"topics"},
    "custom-topic-strict-ignored": {"custom-topic-strict"},
    "intent-scores-over-one": {"intents"},
    "custom-intent-strict-ignored": {"custom-intent-strict"},
    "sentiment-scores-out-of-range": {"sentiment"},
    "no-detected-language": {"detect-language"},
    "entities-past-words": {"entities"},
    "multi-words-no-language": {"language-multi"},
    "keyterm-limit-unenforced": {"keyterm-limit"},
    "reject-keyterm": {"speech-options"},
}
"""Fault -> the features it must break (and no others)."""
