"""LISTEN formatting features (smart_format, paragraphs, summarize, detect_language,
language=multi, detect_entities, the speech-only options): their shape and invariants, never
their words."""

from __future__ import annotations

from itertools import pairwise
from typing import Any

from conformance.cases.kit.context import LISTEN_PATH, CaseContext, schema_problem
from conformance.cases.kit.languages import language_problems
from conformance.cases.kit.registry import case
from conformance.cases.kit.walk import alternatives, get, items, number, ordinal_list, words
from conformance.wire import audio
from conformance.wire.http import Exchange

SMART_FORMAT = (("smart_format", "true"),)
PARAGRAPHS = (("paragraphs", "true"),)
SUMMARIZE = (("summarize", "v2"),)
DETECT_LANGUAGE = (("detect_language", "true"), ("multichannel", "true"))
MULTILINGUAL = (("model", "nova-3"), ("language", "multi"))
"""Code switching: "available on Nova-2, Nova-3" (the Multilingual Codeswitching page)."""
ENTITIES = (("detect_entities", "true"),)
SPEECH_OPTIONS = (
    ("dictation", "true"),
    ("filler_words", "true"),
    ("measurements", "true"),
    ("numerals", "true"),
    ("profanity_filter", "true"),
    ("redact", "pci"),
    ("redact", "pii"),
    ("redact", "numbers"),
    ("replace", "hello:goodbye"),
    ("diarize_model", "latest"),
    ("mip_opt_out", "true"),
    ("model", "nova-3"),
    ("keyterm", "conformance"),
)
"""Options whose effect needs real speech; keyterm is "Only compatible with Nova-3"."""
KEYTERM = (("model", "nova-3"), ("keyterm", "conformance"))
KEYTERM_LIMIT = 100
"""Keyterms a request may carry ("up to 100", the Keyterm page), 500 tokens in all (the
changelog of 2026-10-08): 101 of six words each are past both, whatever the tokenizer."""


def require_words(ctx: CaseContext, found: int) -> None:
    """Skip, rather than pass vacuously, when the target recognised nothing."""
    if found == 0:
        ctx.skip("the target recognised no words in the test audio, so there is nothing to check")


def in_unit(value: Any, low: float = 0.0) -> bool:
    """Whether value is a number from low to 1."""
    return isinstance(value, int | float) and not isinstance(value, bool) and low <= value <= 1


def word_index(value: Any, count: int) -> bool:
    """Whether value indexes a list of count words (count itself allowed: an exclusive end)."""
    whole = isinstance(value, int | float) and not isinstance(value, bool) and value == int(value)
    return whole and 0 <= value <= count


@case("LISTEN-SMART-FORMAT")
async def smart_format_punctuates_words(ctx: CaseContext) -> None:
    """smart_format=true alone gives every word a non-empty punctuated_word."""
    body = await ctx.transcription(audio.mono(), SMART_FORMAT)
    found = 0
    for where, word in words(body):
        found += 1
        value = word.get("punctuated_word") if isinstance(word, dict) else None
        ctx.check(
            isinstance(value, str) and value != "",
            f"smart_format=true: {where}.punctuated_word is {value!r}, expected a non-empty string",
        )
    require_words(ctx, found)


async def _paragraphs(ctx: CaseContext) -> list[tuple[str, int, list[Any]]]:
    """(where, word count, paragraphs) of every alternative of paragraphs=true, blocked by
    LISTEN-PARAGRAPHS when an alternative has none."""
    body = await ctx.transcription(audio.mono(), PARAGRAPHS)
    found = []
    for where, alternative in alternatives(body):
        block = alternative.get("paragraphs") if isinstance(alternative, dict) else None
        if not isinstance(block, dict) or not isinstance(block.get("paragraphs"), list):
            ctx.blocked("LISTEN-PARAGRAPHS", f"{where} has no paragraphs.paragraphs list")
        count = len(items(get(alternative, "words"), f"{where}.words"))
        found.append((f"{where}.paragraphs", count, block["paragraphs"]))
    return found


@case("LISTEN-PARAGRAPHS")
async def paragraphs_returned(ctx: CaseContext) -> None:
    """paragraphs=true gives every alternative paragraphs with sentences, times and num_words."""
    body = await ctx.transcription(audio.mono(), PARAGRAPHS)
    require_words(ctx, sum(1 for _ in words(body)))
    for where, alternative in alternatives(body):
        block = get(alternative, "paragraphs")
        ctx.check(isinstance(block, dict), f"paragraphs=true: {where}.paragraphs is {block!r}")
        ctx.check(
            isinstance(get(block, "transcript"), str),
            f"{where}.paragraphs.transcript is {get(block, 'transcript')!r}, expected a string",
        )
        listed = items(get(block, "paragraphs"), f"{where}.paragraphs.paragraphs")
        ctx.check(bool(listed), f"{where}.paragraphs.paragraphs is empty although words were")
        for p, paragraph in enumerate(listed):
            at = f"{where}.paragraphs.paragraphs[{p}]"
            for key in ("start", "end"):
                number(get(paragraph, key), f"{at}.{key}")
            count = get(paragraph, "num_words")
            ctx.check(isinstance(count, int), f"{at}.num_words is {count!r}, expected an integer")
            for s, sentence in enumerate(items(get(paragraph, "sentences"), f"{at}.sentences")):
                text = get(sentence, "text")
                ctx.check(isinstance(text, str), f"{at}.sentences[{s}].text is {text!r}")
                for key in ("start", "end"):
                    number(get(sentence, key), f"{at}.sentences[{s}].{key}")


@case("LISTEN-PARAGRAPHS-WORDS")
async def paragraph_words_add_up(ctx: CaseContext) -> None:
    """The paragraphs' num_words add up to the alternative's word count."""
    found = await _paragraphs(ctx)
    require_words(ctx, sum(count for _, count, _ in found))
    for where, count, listed in found:
        total = sum(number(get(p, "num_words"), f"{where}[].num_words") for p in listed)
        ctx.check(
            total == count,
            f"{where}: num_words add up to {total:g}; the alternative has {count} words",
        )


@case("LISTEN-PARAGRAPHS-TIMES")
async def paragraphs_in_order(ctx: CaseContext) -> None:
    """Sentences lie inside their paragraph; paragraphs follow each other inside the audio."""
    clip = audio.mono()
    tolerance = ctx.config.timing.duration_tolerance
    found = await _paragraphs(ctx)
    require_words(ctx, sum(len(listed) for _, _, listed in found))
    for where, _, listed in found:
        spans = []
        for p, paragraph in enumerate(listed):
            at = f"{where}[{p}]"
            start, end = number(get(paragraph, "start"), at), number(get(paragraph, "end"), at)
            ctx.check(
                0 <= start <= end <= clip.duration + tolerance,
                f"{at} spans {start:g}-{end:g} s; the audio lasts {clip.duration:g} s",
            )
            for s, sentence in enumerate(items(get(paragraph, "sentences"), f"{at}.sentences")):
                first = number(get(sentence, "start"), f"{at}.sentences[{s}].start")
                last = number(get(sentence, "end"), f"{at}.sentences[{s}].end")
                ctx.check(
                    start <= first <= last <= end,
                    f"{at}.sentences[{s}] spans {first:g}-{last:g} s, outside its paragraph's "
                    f"{start:g}-{end:g} s",
                )
            spans.append((p, start, end))
        for (p, _, end), (_, start, _) in pairwise(spans):
            ctx.check(
                start >= end,
                f"{where}[{p + 1}] starts at {start:g} s, before {where}[{p}] ends ({end:g} s)",
            )


@case("LISTEN-SUMMARIZE")
async def summary_returned(ctx: CaseContext) -> None:
    """summarize=v2 gives results.summary with a string result and short."""
    body = await ctx.transcription(audio.mono(), SUMMARIZE)
    summary = get(body, "results").get("summary")
    ctx.check(isinstance(summary, dict), f"summarize=v2: results.summary is {summary!r}")
    for key in ("result", "short"):
        value = summary.get(key)
        ctx.check(isinstance(value, str), f"results.summary.{key} is {value!r}, expected a string")


@case("LISTEN-DETECT-LANGUAGE")
async def language_detected(ctx: CaseContext) -> None:
    """detect_language=true gives every channel a detected_language (stereo, multichannel)."""
    body = await ctx.transcription(audio.stereo(), DETECT_LANGUAGE)
    channels = items(get(body, "results.channels"), "results.channels")
    for c, channel in enumerate(channels):
        language = channel.get("detected_language") if isinstance(channel, dict) else None
        ctx.check(
            isinstance(language, str) and language != "",
            f"detect_language=true: results.channels[{c}].detected_language is {language!r}",
        )
        sure = channel.get("language_confidence", 0.0)
        ctx.check(
            in_unit(sure),
            f"results.channels[{c}].language_confidence is {sure!r}, expected 0 to 1",
        )


@case("LISTEN-LANGUAGE-MULTI")
async def words_carry_language(ctx: CaseContext) -> None:
    """language=multi gives every word its language; an alternative's languages, when present,
    lists those languages, most words first."""
    body = await ctx.transcription(audio.mono(), MULTILINGUAL)
    found = [language_problems(where, alternative) for where, alternative in alternatives(body)]
    require_words(ctx, sum(count for count, _ in found))
    problems = [problem for _, listed in found for problem in listed]
    ctx.check(not problems, f"language=multi: {ordinal_list(problems)}")


@case("LISTEN-ENTITIES")
async def entities_index_words(ctx: CaseContext) -> None:
    """detect_entities=true: entities with a label, a confidence and valid word indexes."""
    body = await ctx.transcription(audio.mono(), ENTITIES)
    require_words(ctx, sum(1 for _ in words(body)))
    for where, alternative in alternatives(body):
        count = len(items(get(alternative, "words"), f"{where}.words"))
        for e, entity in enumerate(items(get(alternative, "entities"), f"{where}.entities")):
            at = f"{where}.entities[{e}]"
            first, last = get(entity, "start_word"), get(entity, "end_word")
            ctx.check(
                word_index(first, count) and word_index(last, count) and first <= last,
                f"{at} runs from word {first!r} to {last!r}; the alternative has {count} words",
            )
            ctx.check(isinstance(get(entity, "label"), str), f"{at}.label is not a string")
            sure = get(entity, "confidence")
            ctx.check(in_unit(sure), f"{at}.confidence is {sure!r}, expected 0 to 1")


async def _send(ctx: CaseContext, params: tuple[tuple[str, str], ...]) -> Exchange:
    return await ctx.client.request(
        "POST", LISTEN_PATH, params=params, content=audio.phrase().wav, content_type="audio/wav"
    )


def _problem(exchange: Exchange) -> str | None:
    """Why an answer is not a 200 transcription valid against schemas/listen-response.json."""
    if exchange.status != 200:
        return f"refused: {exchange.describe()}"
    return schema_problem(exchange, "listen")


@case("LISTEN-KEYTERM-LIMIT")
async def keyterms_over_limit_refused(ctx: CaseContext) -> None:
    """101 keyterms of six words (past 100 keyterms and 500 tokens) are refused with 400, judged
    once one keyterm is accepted (else LISTEN-SPEECH-OPTIONS's failure shows here)."""
    control = await ctx.transcribe(audio.phrase(), KEYTERM)
    if control.status != 200:
        ctx.blocked(
            "LISTEN-SPEECH-OPTIONS",
            f"one keyterm with model=nova-3: {control.describe()}, so a refusal of many says "
            "nothing of their limit",
        )
    count = KEYTERM_LIMIT + 1
    terms = [("keyterm", f"conformance limit probe term number {n}") for n in range(count)]
    exchange = await _send(ctx, (KEYTERM[0], *terms))
    ctx.check(
        exchange.status == 400,
        f"{count} keyterms ({6 * count} words): {exchange.describe()}, expected 400",
        on=exchange,
    )


@case("LISTEN-SPEECH-OPTIONS")
async def speech_options_accepted(ctx: CaseContext) -> None:
    """The options whose effect needs real speech are accepted, together or each alone (judged
    once plain audio gets a transcription: else LISTEN-SCHEMA's failure is what shows here)."""
    await ctx.transcription(audio.mono())
    together = await _send(ctx, SPEECH_OPTIONS)
    if _problem(together) is None:
        ctx.note(f"{len(SPEECH_OPTIONS)} options accepted in one request; effects not judged")
        return
    refused = []
    for name, value in SPEECH_OPTIONS:
        if name == "model":
            continue
        alone = (("model", "nova-3"), (name, value)) if name == "keyterm" else ((name, value),)
        problem = _problem(await _send(ctx, alone))
        if problem is not None:
            refused.append(f"{name}={value} ({problem})")
    ctx.check(
        not refused,
        f"{len(refused)} documented options did not get a schema-valid transcription: "
        f"{ordinal_list(refused)}",
        on=together,
    )
    ctx.note("the options were refused together but each was accepted alone")
