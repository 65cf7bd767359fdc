"""LISTEN: pre-recorded transcription, checked structurally (a real target runs real ASR)."""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime
from itertools import pairwise
from typing import Any

from conformance.cases.kit.context import LISTEN_PATH, CaseContext, expect_accepted
from conformance.cases.kit.registry import case
from conformance.cases.kit.walk import (
    alternatives,
    get,
    items,
    number,
    ordinal_list,
    result_channels,
    utterances,
    words,
)
from conformance.contract import shapes
from conformance.wire import audio
from conformance.wire.http import Exchange

UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")

RICH = (
    ("multichannel", "true"),
    ("alternatives", "2"),
    ("punctuate", "true"),
    ("diarize", "true"),
    ("utterances", "true"),
    ("search", "hello"),
    ("search", "world"),
)
"""Every structural option at once, on stereo audio: one request exercising the whole schema,
which the alternatives (2 a channel) and multichannel cases read too."""

SEARCH_TERMS = ("hello", "world", "conformance test")
UTT_SPLIT = 0.3
"""Below the test audio's 0.5 s and 1.2 s silences, above its 0.15 s and 0.2 s ones."""
FEATURES = (
    ("utterances", "true"),
    ("utt_split", str(UTT_SPLIT)),
    ("diarize", "true"),
    ("punctuate", "true"),
    ("alternatives", "3"),
    *(("search", term) for term in SEARCH_TERMS),
)
"""The word-level options on mono audio in one request: utterances and their split, diarization,
punctuation, search and alternatives=3 are each judged by their own case on its answer (none of
them refuses or reshapes what the others read)."""


def _clips() -> tuple[audio.TestAudio, ...]:
    return (audio.mono(), audio.stereo())


def _require_words(ctx: CaseContext, found: int) -> None:
    """Skip, rather than pass vacuously, when the target recognised nothing."""
    if found == 0:
        ctx.skip("the target recognised no words in the test audio, so there is nothing to check")


# ---------------------------------------------------------------------------------- response


@case("LISTEN-SCHEMA")
async def responses_match_schema(ctx: CaseContext) -> None:
    """Plain mono, plain stereo, and stereo with every structural option validate."""
    requests = [(audio.mono(), ()), (audio.stereo(), ()), (audio.stereo(), RICH)]
    for clip, params in requests:
        exchange = await ctx.transcribe(clip, params)
        expect_accepted(exchange)
        problems = shapes.problems("listen", exchange.json())
        ctx.check(
            not problems,
            f"{clip.name} audio with {_query(params)}: the response breaks "
            f"schemas/listen-response.json: {ordinal_list(problems)}",
            on=exchange,
        )


@case("LISTEN-REQUEST-ID")
async def request_id_is_uuid(ctx: CaseContext) -> None:
    """metadata.request_id is a UUID and differs between requests."""
    seen = []
    for clip in _clips():
        request_id = get(await ctx.transcription(clip), "metadata.request_id")
        ctx.check(
            isinstance(request_id, str) and bool(UUID.match(request_id)),
            f"{clip.name}: metadata.request_id is {request_id!r}, not a UUID",
        )
        seen.append(request_id)
    ctx.check(len(set(seen)) == len(seen), f"two requests got the same request_id {seen[0]!r}")


@case("LISTEN-SHA256")
async def sha256_of_submitted_bytes(ctx: CaseContext) -> None:
    """metadata.sha256 is the SHA-256 of exactly the bytes sent."""
    for clip in _clips():
        got = get(await ctx.transcription(clip), "metadata.sha256")
        expected = hashlib.sha256(clip.wav).hexdigest()
        ctx.check(
            isinstance(got, str) and got.lower() == expected,
            f"{clip.name}: metadata.sha256 is {got!r}; the SHA-256 of the {len(clip.wav)} "
            f"bytes sent is {expected}",
        )


@case("LISTEN-CREATED")
async def created_is_iso8601(ctx: CaseContext) -> None:
    """metadata.created parses as ISO-8601 with a zone, close to the suite's clock."""
    skew = ctx.config.timing.clock_skew
    for clip in _clips():
        created = get(await ctx.transcription(clip), "metadata.created")
        try:
            moment = datetime.fromisoformat(str(created))
        except ValueError:
            ctx.fail(f"{clip.name}: metadata.created is {created!r}, not an ISO-8601 timestamp")
        ctx.check(
            isinstance(created, str) and moment.tzinfo is not None,
            f"{clip.name}: metadata.created {created!r} has no time zone",
        )
        drift = abs((datetime.now(UTC) - moment).total_seconds())
        ctx.check(
            drift <= skew,
            f"{clip.name}: metadata.created {created!r} is {drift:.0f} s "
            f"from the suite's clock (tolerance {skew:g} s)",
        )


@case("LISTEN-DURATION")
async def duration_of_audio(ctx: CaseContext) -> None:
    """metadata.duration is the clip's duration within the declared tolerance."""
    tolerance = ctx.config.timing.duration_tolerance
    for clip in _clips():
        got = number(get(await ctx.transcription(clip), "metadata.duration"), "metadata.duration")
        ctx.check(
            abs(got - clip.duration) <= tolerance,
            f"{clip.name}: metadata.duration is {got:g} s; the audio lasts "
            f"{clip.duration:g} s (tolerance {tolerance:g} s)",
        )


@case("LISTEN-CHANNELS")
async def channels_of_audio(ctx: CaseContext) -> None:
    """metadata.channels counts the audio's channels."""
    for clip in _clips():
        got = get(await ctx.transcription(clip), "metadata.channels")
        ctx.check(
            got == clip.channels,
            f"{clip.name}: metadata.channels is {got!r}; the audio has {clip.channels}",
        )


@case("LISTEN-WORD-TIMES")
async def word_times_inside_audio(ctx: CaseContext) -> None:
    """Words lie inside the audio, start <= end, ordered by start, in every alternative."""
    tolerance = ctx.config.timing.duration_tolerance
    found = 0
    for clip, params in ((audio.mono(), ()), (audio.stereo(), RICH)):
        body = await ctx.transcription(clip, params)
        for where, alternative in alternatives(body):
            previous = 0.0
            for w, word in enumerate(items(get(alternative, "words"), f"{where}.words")):
                found += 1
                at = f"{clip.name}: {where}.words[{w}]"
                start = number(get(word, "start"), f"{at}.start")
                end = number(get(word, "end"), f"{at}.end")
                ctx.check(
                    0 <= start <= end <= clip.duration + tolerance,
                    f"{at} spans {start:g}-{end:g} s; the audio lasts {clip.duration:g} s",
                )
                ctx.check(
                    start >= previous,
                    f"{at} starts at {start:g} s, before the previous word's start {previous:g} s",
                )
                previous = start
    _require_words(ctx, found)


@case("LISTEN-CONFIDENCE")
async def confidences_in_unit_range(ctx: CaseContext) -> None:
    """Every confidence, in alternatives, words, search hits and utterances, is in [0, 1]."""
    outside = []
    for clip, params in ((audio.mono(), ()), (audio.stereo(), RICH)):
        body = await ctx.transcription(clip, params)
        for where, value in _confidences(body):
            if not isinstance(value, int | float) or isinstance(value, bool) or not 0 <= value <= 1:
                outside.append(f"{clip.name}: {where} = {value!r}")
    ctx.check(not outside, f"{len(outside)} confidences outside [0, 1]: {ordinal_list(outside)}")


def _confidences(body: Any) -> list[tuple[str, Any]]:
    """Every confidence in a transcription, with where it is."""
    found = []
    for where, alternative in alternatives(body):
        found.append((f"{where}.confidence", get(alternative, "confidence")))
    for where, word in words(body):
        found.append((f"{where}.confidence", get(word, "confidence")))
    for c, channel in enumerate(result_channels(body)):
        for s, entry in enumerate(channel.get("search") or []):
            for h, hit in enumerate(entry.get("hits") or []):
                found.append(
                    (
                        f"results.channels[{c}].search[{s}].hits[{h}].confidence",
                        get(hit, "confidence"),
                    )
                )
    for u, utterance in enumerate(get(body, "results").get("utterances") or []):
        found.append((f"results.utterances[{u}].confidence", get(utterance, "confidence")))
    return found


# ---------------------------------------------------------------------------------- features


async def _alternative_counts(ctx: CaseContext) -> list[tuple[str, int, int]]:
    """(request, channel, count of alternatives) for alternatives=3 mono (FEATURES) and =2
    stereo with multichannel (RICH)."""
    counts = []
    for clip, n, params in ((audio.mono(), 3, FEATURES), (audio.stereo(), 2, RICH)):
        body = await ctx.transcription(clip, params)
        for c, channel in enumerate(result_channels(body)):
            got = len(items(get(channel, "alternatives"), f"results.channels[{c}].alternatives"))
            counts.append((f"{clip.name} with {_query(params)}, channel {c}", n, got))
    return counts


@case("LISTEN-ALTERNATIVES-MAX")
async def alternatives_at_most_n(ctx: CaseContext) -> None:
    """alternatives=n never gives more than n alternatives, nor none."""
    for where, n, got in await _alternative_counts(ctx):
        ctx.check(1 <= got <= n, f"{where}: {got} alternatives, expected 1 to {n}")


@case("LISTEN-ALTERNATIVES-COUNT")
async def alternatives_exactly_n(ctx: CaseContext) -> None:
    """alternatives=n gives exactly n alternatives per channel."""
    for where, n, got in await _alternative_counts(ctx):
        ctx.check(got == n, f"{where}: {got} alternatives, expected {n}")


@case("LISTEN-MULTICHANNEL")
async def multichannel_one_result_per_channel(ctx: CaseContext) -> None:
    """Stereo gives two result channels with multichannel=true (RICH), one without."""
    clip = audio.stereo()
    split = len(result_channels(await ctx.transcription(clip, RICH)))
    ctx.check(
        split == 2, f"stereo audio with multichannel=true gave {split} result channels, expected 2"
    )
    mixed = len(result_channels(await ctx.transcription(clip)))
    ctx.check(
        mixed == 1, f"stereo audio without multichannel gave {mixed} result channels, expected 1"
    )


@case("LISTEN-SEARCH")
async def search_entry_per_term(ctx: CaseContext) -> None:
    """Each channel gets one search entry per term, the query echoed, hits inside the audio."""
    clip = audio.mono()
    body = await ctx.transcription(clip, FEATURES)
    tolerance = ctx.config.timing.duration_tolerance
    for c, channel in enumerate(result_channels(body)):
        where = f"results.channels[{c}].search"
        entries = items(get(channel, "search"), where)
        queries = sorted(str(get(entry, "query")) for entry in entries)
        ctx.check(
            queries == sorted(SEARCH_TERMS),
            f"{where} has queries {queries}; the request searched for {sorted(SEARCH_TERMS)}",
        )
        for s, entry in enumerate(entries):
            for h, hit in enumerate(items(get(entry, "hits"), f"{where}[{s}].hits")):
                at = f"{where}[{s}].hits[{h}]"
                start = number(get(hit, "start"), f"{at}.start")
                end = number(get(hit, "end"), f"{at}.end")
                ctx.check(
                    0 <= start <= end <= clip.duration + tolerance,
                    f"{at} spans {start:g}-{end:g} s; the audio lasts {clip.duration:g} s",
                )


def _many(name: str, count: int) -> list[tuple[str, str]]:
    """`count` distinct values of a repeatable parameter."""
    return [(name, f"term{index:03d}") for index in range(count)]


async def _limit_probe(ctx: CaseContext, name: str, count: int) -> Exchange:
    return await ctx.client.request(
        "POST",
        LISTEN_PATH,
        params=_many(name, count),
        content=audio.phrase().wav,
        content_type="audio/wav",
    )


LIMITS = {"search": {"v2": 25, "v1": 50}, "keywords": {"v2": 200, "v1": 100}}
"""The most terms a request may carry: document 004 (the legacy v2 API) and the current /v1
pages ('up to 50 search terms per request'; 'limited to 100 keywords per request')."""


def _accepted_count(ctx: CaseContext, name: str) -> int:
    """How many terms must be accepted: the limit every source allows under this dialect (v1:
    no more than the current page's limit, which for search is above document 004's)."""
    limits = LIMITS[name]
    return limits["v2"] if ctx.config.dialect == "v2" else min(limits.values())


def _refused_count(ctx: CaseContext, name: str) -> int:
    """How many terms must be refused: past the dialect's limit (v1: past every source's, so no
    refusal is asked for below the current page's limit)."""
    limits = LIMITS[name]
    return (limits["v2"] if ctx.config.dialect == "v2" else max(limits.values())) + 1


@case("LISTEN-SEARCH-LIMIT")
async def search_limit_accepted(ctx: CaseContext) -> None:
    """25 search terms, within every documented limit, are accepted."""
    expect_accepted(await _limit_probe(ctx, "search", _accepted_count(ctx, "search")))


@case("LISTEN-SEARCH-LIMIT-ENFORCED")
async def search_over_limit_refused(ctx: CaseContext) -> None:
    """Search terms past the limit (26 under v2, 51 under v1) are refused with 400."""
    await ctx.listen_route()
    count = _refused_count(ctx, "search")
    exchange = await _limit_probe(ctx, "search", count)
    ctx.check(exchange.status == 400, f"{count} search terms: {exchange.describe()}, expected 400")


@case("LISTEN-KEYWORDS-LIMIT")
async def keywords_limit_accepted(ctx: CaseContext) -> None:
    """Keywords up to the limit (200 under v2, 100 under v1) are accepted."""
    expect_accepted(await _limit_probe(ctx, "keywords", _accepted_count(ctx, "keywords")))


@case("LISTEN-KEYWORDS-LIMIT-ENFORCED")
async def keywords_over_limit_refused(ctx: CaseContext) -> None:
    """201 keywords, past every documented limit, are refused with 400."""
    await ctx.listen_route()
    count = _refused_count(ctx, "keywords")
    exchange = await _limit_probe(ctx, "keywords", count)
    ctx.check(exchange.status == 400, f"{count} keywords: {exchange.describe()}, expected 400")


@case("LISTEN-KEYWORDS-INTENSIFIER")
async def keyword_intensifiers_accepted(ctx: CaseContext) -> None:
    """Positive, negative and decimal intensifiers are accepted."""
    params = [("keywords", "medicine:2"), ("keywords", "pain:-1.5"), ("keywords", "cough:0.5")]
    expect_accepted(await ctx.transcribe(audio.phrase(), params))


@case("LISTEN-UTTERANCES")
async def utterances_returned(ctx: CaseContext) -> None:
    """utterances=true gives results.utterances inside the audio, with channels and words."""
    clip = audio.mono()
    body = await ctx.transcription(clip, FEATURES)
    found = utterances(body)
    recognised = sum(1 for _ in words(body))
    _require_words(ctx, recognised)
    ctx.check(
        bool(found), f"results.utterances is empty although {recognised} words were recognised"
    )
    tolerance = ctx.config.timing.duration_tolerance
    for u, utterance in enumerate(found):
        at = f"results.utterances[{u}]"
        start, end = number(get(utterance, "start"), at), number(get(utterance, "end"), at)
        ctx.check(
            0 <= start <= end <= clip.duration + tolerance,
            f"{at} spans {start:g}-{end:g} s; the audio lasts {clip.duration:g} s",
        )
        ctx.check(
            get(utterance, "channel") in range(clip.channels),
            f"{at}.channel is {utterance.get('channel')!r}; the audio has "
            f"{clip.channels} channel(s)",
        )
        items(get(utterance, "words"), f"{at}.words")


@case("LISTEN-UTT-SPLIT")
async def utterances_split_at_utt_split(ctx: CaseContext) -> None:
    """With utt_split=0.3, no utterance spans a silence longer than 0.3 s between words."""
    body = await ctx.transcription(audio.mono(), FEATURES)
    if "utterances" not in get(body, "results"):
        ctx.blocked("LISTEN-UTTERANCES", "the response has no results.utterances to inspect")
    allowed = UTT_SPLIT + ctx.config.timing.gap_tolerance
    pairs = 0
    for u, utterance in enumerate(utterances(body)):
        spoken = items(get(utterance, "words"), f"results.utterances[{u}].words")
        for previous, word in pairwise(spoken):
            pairs += 1
            gap = number(get(word, "start"), "start") - number(get(previous, "end"), "end")
            ctx.check(
                gap <= allowed,
                f"results.utterances[{u}] keeps {get(previous, 'word')!r} and "
                f"{get(word, 'word')!r} together across {gap:.3g} s of silence; "
                f"utt_split={UTT_SPLIT}",
            )
    if pairs == 0 and sum(1 for _ in words(body)) < 2:
        ctx.skip("fewer than two words were recognised, so no split can be observed")


@case("LISTEN-DIARIZE")
async def diarize_speakers_from_zero(ctx: CaseContext) -> None:
    """diarize=true gives every word an integer speaker >= 0, the lowest being 0."""
    body = await ctx.transcription(audio.mono(), FEATURES)
    speakers: list[int] = []
    for where, word in words(body):
        speaker = word.get("speaker") if isinstance(word, dict) else None
        if not isinstance(speaker, int) or isinstance(speaker, bool) or speaker < 0:
            ctx.fail(f"{where}.speaker is {speaker!r}, expected an integer >= 0")
        speakers.append(speaker)
    _require_words(ctx, len(speakers))
    ctx.check(min(speakers) == 0, f"speaker numbers start at {min(speakers)}, not 0")


@case("LISTEN-PUNCTUATE")
async def punctuate_gives_punctuated_word(ctx: CaseContext) -> None:
    """punctuate=true gives every word a non-empty punctuated_word."""
    body = await ctx.transcription(audio.mono(), FEATURES)
    found = 0
    for where, word in words(body):
        found += 1
        value = word.get("punctuated_word") if isinstance(word, dict) else None
        ctx.check(
            isinstance(value, str) and value != "",
            f"{where}.punctuated_word is {value!r}, expected a non-empty string",
        )
    _require_words(ctx, found)


def _query(params: tuple[tuple[str, str], ...] | list[tuple[str, str]]) -> str:
    """Parameters as a readable query string."""
    return "&".join(f"{k}={v}" for k, v in params) or "no parameters"
