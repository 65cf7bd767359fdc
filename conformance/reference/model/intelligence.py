"""Paragraphs, summaries, topics, intents, sentiment, language and entities: derived from the
recognised words alone, so the same audio always gets the same answer; output faults live here."""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from typing import Any

from . import transcribe
from .faults import Fault
from .features import Features
from .settings import Settings
from .transcribe import Word

Json = dict[str, Any]

SUMMARY_MODEL_UUID = "67875a7f-c9c4-48a0-aa55-5bdb8a91c34a"
"""The summariser's model_uuid in the recorded summarize=v2 responses."""
ANALYSIS_MODEL_UUID = "80ab3179-d113-4254-bd6b-4a2f96498695"
"""The reference's topic, intent and sentiment model."""
TOPICS = ("Travel", "Weather", "Sports", "Finance", "Music", "Technology")
INTENTS = ("Ask a question", "Make a request", "Share information", "Give an opinion")
ENTITY_LABELS = ("CARDINAL", "ORGANIZATION", "LOCATION", "PERSON_NAME")
LANGUAGES = ("en", "es", "fr", "de")
SUMMARY_WORDS = 20
"""The short summary is the first words of the punctuated transcript, at most this many."""
SENTIMENT_BREAK = 1 / 3
"""Beyond plus or minus this score a segment is positive or negative (the Sentiment page)."""


def _score(*parts: object) -> float:
    """A stable number in [0, 1] from what it describes."""
    return (zlib.crc32("\0".join(map(str, parts)).encode()) % 1001) / 1000


def _sentences(words: Sequence[Word]) -> list[list[int]]:
    """Word indexes per sentence: a sentence ends where punctuate() put its period."""
    out: list[list[int]] = [[]]
    for i, word in enumerate(words):
        out[-1].append(i)
        if (word.punctuated_word or "").endswith(".") and i < len(words) - 1:
            out.append([])
    return out if out[0] else []


def _text(words: Sequence[Word], indexes: Sequence[int]) -> str:
    """The punctuated text of some punctuated words."""
    return " ".join(words[i].punctuated_word or words[i].word for i in indexes)


def paragraphs(words: Sequence[Word], settings: Settings) -> Json:
    """One paragraph per speaker turn (one per long silence), made of its sentences."""
    words = transcribe.punctuate(words)
    groups: list[list[list[int]]] = []
    for sentence in _sentences(words):
        first, previous = words[sentence[0]], words[sentence[0] - 1]
        if not sentence[0] or first.start - previous.end > transcribe.TURN_GAP:
            groups.append([])
        elif first.speaker != previous.speaker:
            groups.append([])
        groups[-1].append(sentence)
    listed = []
    for group in groups:
        sentences: list[Json] = [
            {"text": _text(words, s), "start": words[s[0]].start, "end": words[s[-1]].end}
            for s in group
        ]
        end = words[group[-1][-1]].end
        if settings.has(Fault.SENTENCES_OUTSIDE_PARAGRAPH):
            sentences[-1]["end"] = round(end + 0.5, 6)
        paragraph: Json = {
            "sentences": sentences,
            "start": sentences[0]["start"],
            "end": end,
            "num_words": sum(len(s) for s in group),
        }
        if words[group[0][0]].speaker is not None:
            paragraph["speaker"] = words[group[0][0]].speaker
        listed.append(paragraph)
    if listed and settings.has(Fault.PARAGRAPH_WORDS_OFF):
        listed[-1]["num_words"] += 1
    text = "\n\n".join(" ".join(s["text"] for s in p["sentences"]) for p in listed)
    return {"transcript": "\n" + text if text else "", "paragraphs": listed}


def summary(words: Sequence[Word]) -> Json:
    """results.summary of summarize=v2: the opening of the punctuated transcript."""
    short = transcribe.transcript(transcribe.punctuate(words[:SUMMARY_WORDS]))
    return {"result": "success", "short": short}


def summaries(words: Sequence[Word]) -> list[Json]:
    """The legacy alternatives[].summaries of summarize=true: one per sentence."""
    words = transcribe.punctuate(words)
    return [
        {"summary": _text(words, s), "start_word": s[0], "end_word": s[-1]}
        for s in _sentences(words)
    ]


def _labels(
    segment: Sequence[int], own: Sequence[str], custom: Sequence[str], strict: bool
) -> list[str]:
    """The labels of one segment: custom ones only when strict, else the model's and custom."""
    pool = list(custom) if strict else [*own, *custom]
    if not pool:
        return []
    first = int(_score("label", *segment) * 1000) % len(pool)
    return sorted({pool[first], pool[(first + segment[0]) % len(pool)]})


def _segments(
    words: Sequence[Word], kind: str, own: Sequence[str], custom: Sequence[str], strict: bool
) -> list[Json]:
    """Per-sentence segments labelled by kind (topic or intent) with a confidence_score."""
    words = transcribe.punctuate(words)
    out = []
    for sentence in _sentences(words):
        labels = _labels(sentence, own, custom, strict)
        scored = [
            {kind: label, "confidence_score": _score(kind, label, *sentence)} for label in labels
        ]
        out.append(
            {
                "text": _text(words, sentence),
                "start_word": sentence[0],
                "end_word": sentence[-1],
                f"{kind}s": scored,
            }
        )
    return out


def topics(words: Sequence[Word], features: Features, settings: Settings) -> Json:
    """results.topics: the segments with their topics."""
    strict = features.custom_topic_mode == "strict"
    if settings.has(Fault.CUSTOM_TOPIC_STRICT_IGNORED):
        strict = False
    segments = _segments(words, "topic", TOPICS, features.custom_topics, strict)
    if settings.has(Fault.TOPIC_SEGMENTS_PAST_WORDS):
        for segment in segments:
            segment["end_word"] = len(words) + 1
    return {"segments": segments}


def intents(words: Sequence[Word], features: Features, settings: Settings) -> Json:
    """results.intents: the segments with their intents."""
    strict = features.custom_intent_mode == "strict"
    if settings.has(Fault.CUSTOM_INTENT_STRICT_IGNORED):
        strict = False
    segments = _segments(words, "intent", INTENTS, features.custom_intents, strict)
    if settings.has(Fault.INTENT_SCORES_OVER_ONE):
        for segment in segments:
            for intent in segment["intents"]:
                intent["confidence_score"] += 1.01
    return {"segments": segments}


def _sentiment(score: float) -> Json:
    """A score and its label by the documented break point."""
    label = "neutral"
    if score > SENTIMENT_BREAK:
        label = "positive"
    elif score < -SENTIMENT_BREAK:
        label = "negative"
    return {"sentiment": label, "sentiment_score": round(score, 6)}


def sentiments(words: Sequence[Word], settings: Settings) -> Json:
    """results.sentiments: per-sentence segments and their average."""
    outside = settings.has(Fault.SENTIMENT_SCORES_OUT_OF_RANGE)
    words = transcribe.punctuate(words)
    segments = []
    for sentence in _sentences(words):
        unit = _score("sentiment", *sentence)
        score = 1.01 + unit if outside else 2 * unit - 1
        segments.append(
            {
                "text": _text(words, sentence),
                "start_word": sentence[0],
                "end_word": sentence[-1],
                **_sentiment(score),
            }
        )
    scores = [s["sentiment_score"] for s in segments]
    average = sum(scores) / len(scores) if scores else 0.0
    return {"segments": segments, "average": _sentiment(average)}


def detected_language(words: Sequence[Word]) -> Json:
    """channels[].detected_language and its confidence: a language picked by the sound."""
    digest = sum(w.digest for w in words)
    return {
        "detected_language": LANGUAGES[digest % len(LANGUAGES)],
        "language_confidence": round(0.5 + 0.5 * _score("language", digest), 4),
    }


def entities(words: Sequence[Word], settings: Settings) -> list[Json]:
    """alternatives[].entities: every third word (by its sound) is a one-word entity."""
    out = []
    for i, word in enumerate(words):
        if word.digest % 3:
            continue
        end = len(words) + 1 if settings.has(Fault.ENTITIES_PAST_WORDS) else i
        out.append(
            {
                "label": ENTITY_LABELS[word.digest % len(ENTITY_LABELS)],
                "value": word.word,
                "raw_value": word.word,
                "confidence": round(0.5 + 0.5 * _score("entity", word.digest), 4),
                "start_word": i,
                "end_word": end,
            }
        )
    return out


def info(words: Sequence[Word], features: Features, settings: Settings) -> Json:
    """metadata's summary_info, topics_info, intents_info and sentiment_info, as asked."""
    if settings.has(Fault.NO_INTELLIGENCE_INFO):
        return {}
    tokens = len(words)
    asked = {
        "summary_info": (features.summarize is not None, SUMMARY_MODEL_UUID),
        "sentiment_info": (features.sentiment, ANALYSIS_MODEL_UUID),
        "topics_info": (features.topics, ANALYSIS_MODEL_UUID),
        "intents_info": (features.intents, ANALYSIS_MODEL_UUID),
    }
    return {
        key: {
            "model_uuid": model,
            "input_tokens": tokens,
            "output_tokens": min(tokens, SUMMARY_WORDS),
        }
        for key, (on, model) in asked.items()
        if on
    }


def results(words: Sequence[Word], features: Features, settings: Settings) -> Json:
    """The results-level intelligence: summary, topics, intents and sentiments, as asked."""
    out: Json = {}
    if features.summarize == "v2" and not settings.has(Fault.NO_SUMMARY):
        out["summary"] = summary(words)
    if features.topics:
        out["topics"] = topics(words, features, settings)
    if features.intents:
        out["intents"] = intents(words, features, settings)
    if features.sentiment:
        out["sentiments"] = sentiments(words, settings)
    return out
