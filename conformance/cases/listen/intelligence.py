"""LISTEN audio intelligence (topics, intents, sentiment and their metadata): segments index the
word list, scores lie in range, strict custom labels come from the list; no label is judged."""

from __future__ import annotations

from typing import Any

from conformance.cases.kit.context import CaseContext, expect_transcription
from conformance.cases.kit.registry import case
from conformance.cases.kit.walk import get, items, ordinal_list, result_channels
from conformance.cases.listen.features import SUMMARIZE, in_unit, require_words, word_index
from conformance.wire import audio

CUSTOM_TOPICS = ("weather", "travel plans")
CUSTOM_INTENTS = ("book a flight", "cancel an order")
TOPICS = (
    ("topics", "true"),
    *(("custom_topic", topic) for topic in CUSTOM_TOPICS),
    ("custom_topic_mode", "strict"),
)
INTENTS = (
    ("intents", "true"),
    *(("custom_intent", intent) for intent in CUSTOM_INTENTS),
    ("custom_intent_mode", "strict"),
)
SENTIMENT = (("sentiment", "true"),)
SENTIMENTS = frozenset({"positive", "negative", "neutral"})
INFO = {
    "summary_info": SUMMARIZE,
    "topics_info": TOPICS,
    "intents_info": INTENTS,
    "sentiment_info": SENTIMENT,
}
"""Each metadata object and the request whose feature adds it."""


async def _analysed(ctx: CaseContext, params: tuple[tuple[str, str], ...]) -> tuple[Any, int]:
    """The transcription of the mono clip with these options and its first alternative's word
    count (the words the results-level segments index); skipped when nothing was recognised."""
    body = await ctx.transcription(audio.mono(), params)
    channel = result_channels(body)[0] if result_channels(body) else {}
    first = items(get(channel, "alternatives"), "results.channels[0].alternatives")
    count = len(items(get(first[0], "words"), "results.channels[0].alternatives[0].words"))
    require_words(ctx, count)
    return body, count


def _segments(ctx: CaseContext, body: Any, kind: str, query: str) -> list[Any]:
    """results.<kind>'s segments, as the live pages show them ({segments}) or as the official
    spec nests them ({results: {<kind>: {segments}}})."""
    block = get(body, "results").get(kind)
    ctx.check(isinstance(block, dict), f"{query}: results.{kind} is {block!r}, expected an object")
    nested = block.get("results")
    if "segments" not in block and isinstance(nested, dict):
        return items(get(nested, f"{kind}.segments"), f"results.{kind}.results.{kind}.segments")
    return items(block.get("segments"), f"results.{kind}.segments")


def _indexes(ctx: CaseContext, segment: Any, at: str, count: int) -> None:
    """A segment's start_word <= end_word index the word list."""
    first, last = get(segment, "start_word"), get(segment, "end_word")
    ctx.check(
        word_index(first, count) and word_index(last, count) and first <= last,
        f"{at} runs from word {first!r} to {last!r}; the transcript has {count} words",
    )


def _labelled(ctx: CaseContext, body: Any, kind: str, query: str, count: int) -> list[str]:
    """Judge each segment's indexes and labels' scores; the labels returned."""
    labels = []
    for s, segment in enumerate(_segments(ctx, body, f"{kind}s", query)):
        at = f"results.{kind}s.segments[{s}]"
        _indexes(ctx, segment, at, count)
        for n, entry in enumerate(items(get(segment, f"{kind}s"), f"{at}.{kind}s")):
            label, score = get(entry, kind), get(entry, "confidence_score")
            ctx.check(isinstance(label, str), f"{at}.{kind}s[{n}].{kind} is {label!r}")
            ctx.check(
                in_unit(score), f"{at}.{kind}s[{n}].confidence_score is {score!r}, expected 0 to 1"
            )
            labels.append(label)
    return labels


def _strict(ctx: CaseContext, labels: list[str], custom: tuple[str, ...], name: str) -> None:
    """Every returned label is one of the custom ones (without case); skip when none came."""
    if not labels:
        ctx.skip(f"no {name} was returned, so strict mode cannot be observed")
    wanted = {c.casefold() for c in custom}
    stray = [label for label in labels if label.strip().casefold() not in wanted]
    ctx.check(
        not stray,
        f"custom_{name}_mode=strict with custom_{name} {list(custom)} returned other {name}s: "
        f"{ordinal_list(stray)}",
    )


@case("LISTEN-TOPICS")
async def topic_segments_index_words(ctx: CaseContext) -> None:
    """topics=true: segments index the words, each topic scored from 0 to 1."""
    body, count = await _analysed(ctx, TOPICS)
    _labelled(ctx, body, "topic", "topics=true", count)


@case("LISTEN-CUSTOM-TOPIC-STRICT")
async def strict_topics_from_the_list(ctx: CaseContext) -> None:
    """custom_topic_mode=strict returns only custom topics."""
    body = await ctx.transcription(audio.mono(), TOPICS)
    if not isinstance(get(body, "results").get("topics"), dict):
        ctx.blocked("LISTEN-TOPICS", "topics=true gave no results.topics")
    segments = _segments(ctx, body, "topics", "topics=true")
    labels = [str(get(t, "topic")) for s in segments for t in items(get(s, "topics"), "topics")]
    _strict(ctx, labels, CUSTOM_TOPICS, "topic")


@case("LISTEN-INTENTS")
async def intent_segments_index_words(ctx: CaseContext) -> None:
    """intents=true: segments index the words, each intent scored from 0 to 1."""
    body, count = await _analysed(ctx, INTENTS)
    _labelled(ctx, body, "intent", "intents=true", count)


@case("LISTEN-CUSTOM-INTENT-STRICT")
async def strict_intents_from_the_list(ctx: CaseContext) -> None:
    """custom_intent_mode=strict returns only custom intents."""
    body = await ctx.transcription(audio.mono(), INTENTS)
    if not isinstance(get(body, "results").get("intents"), dict):
        ctx.blocked("LISTEN-INTENTS", "intents=true gave no results.intents")
    segments = _segments(ctx, body, "intents", "intents=true")
    labels = [str(get(t, "intent")) for s in segments for t in items(get(s, "intents"), "intents")]
    _strict(ctx, labels, CUSTOM_INTENTS, "intent")


def _sentiment(ctx: CaseContext, value: Any, at: str) -> None:
    """A sentiment label and a score from -1 to 1."""
    label, score = get(value, "sentiment"), get(value, "sentiment_score")
    ctx.check(
        label in SENTIMENTS, f"{at}.sentiment is {label!r}, expected one of {sorted(SENTIMENTS)}"
    )
    ctx.check(in_unit(score, -1.0), f"{at}.sentiment_score is {score!r}, expected -1 to 1")


@case("LISTEN-SENTIMENT")
async def sentiment_segments_in_range(ctx: CaseContext) -> None:
    """sentiment=true: segments index the words, with labels and scores in range."""
    body, count = await _analysed(ctx, SENTIMENT)
    block = get(body, "results").get("sentiments")
    ctx.check(isinstance(block, dict), f"sentiment=true: results.sentiments is {block!r}")
    for s, segment in enumerate(items(block.get("segments"), "results.sentiments.segments")):
        at = f"results.sentiments.segments[{s}]"
        _indexes(ctx, segment, at, count)
        _sentiment(ctx, segment, at)
    _sentiment(ctx, get(block, "average"), "results.sentiments.average")


@case("LISTEN-INTELLIGENCE-INFO")
async def feature_info_in_metadata(ctx: CaseContext) -> None:
    """Each intelligence feature adds its metadata object with a model_uuid (judged on the
    requests the target accepted; a refusal is its feature's requirement's to judge)."""
    judged = []
    for key, params in INFO.items():
        exchange = await ctx.transcribe(audio.mono(), params)
        if exchange.status != 200:
            continue
        query = "&".join(f"{k}={v}" for k, v in params)
        info = get(expect_transcription(exchange), "metadata").get(key)
        ctx.check(isinstance(info, dict), f"{query}: metadata.{key} is {info!r}", on=exchange)
        ctx.check(
            isinstance(info.get("model_uuid"), str),
            f"metadata.{key}.model_uuid is {info.get('model_uuid')!r}, expected a string",
            on=exchange,
        )
        for tokens in ("input_tokens", "output_tokens"):
            value = info.get(tokens, 0)
            ctx.check(
                isinstance(value, int) and not isinstance(value, bool) and value >= 0,
                f"metadata.{key}.{tokens} is {value!r}, expected an integer >= 0",
                on=exchange,
            )
        judged.append(key)
    if not judged:
        await ctx.listen_route()  # a missing route is LISTEN-RAW-BODY's, not a skip
        ctx.skip("the target accepted none of summarize, topics, intents and sentiment")
    ctx.note(f"judged {', '.join(judged)}")
