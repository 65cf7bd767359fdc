"""STREAM: the transcription features a stream accepts, and the message types it sends."""

from __future__ import annotations

from collections.abc import Sequence

from conformance.cases.kit.context import CaseContext
from conformance.cases.kit.languages import language_problems
from conformance.cases.kit.registry import case
from conformance.cases.kit.streams import (
    CONTENT,
    Plan,
    played,
    played_all,
    probe,
    require_route,
    require_typed,
    results,
    timeline,
)
from conformance.cases.kit.walk import ordinal_list
from conformance.contract import shapes

FEATURES = (
    ("diarize", "true"),
    ("smart_format", "true"),
    ("punctuate", "true"),
    ("redact", "pci"),
    ("numerals", "true"),
)
"""Formatting features the AsyncAPI lists for WebSocket /v1/listen, each with a value."""
FEATURED = Plan(params=(("interim_results", "false"), *FEATURES))
OPTIONS = (
    ("dictation", "true"),
    ("profanity_filter", "true"),
    ("replace", "hello:goodbye"),
    ("detect_entities", "true"),
    ("diarize_model", "latest"),
    ("keywords", "conformance:2"),
    ("search", "hello"),
    ("language", "en"),
    ("version", "latest"),
)
"""The other options the AsyncAPI lists for WebSocket /v1/listen, each with a documented value
(their effect on the words needs real speech)."""
OPTIONED = Plan(params=(("interim_results", "false"), *OPTIONS))
KEYTERMED = Plan(
    params=(("interim_results", "false"), ("model", "nova-3"), ("keyterm", "conformance"))
)
"""keyterm prompting, with the one model the documentation says it works with."""
MULTILINGUAL = Plan(
    params=(("interim_results", "false"), ("model", "nova-3"), ("language", "multi"))
)
"""Code switching, "available on Nova-2, Nova-3" (the Multilingual Codeswitching page)."""
LISTED_TYPES = frozenset({"Results", "Metadata", "UtteranceEnd", "SpeechStarted"})
"""The server messages the AsyncAPI lists for WebSocket /v1/listen."""
ATTESTED_TYPES = frozenset({"Error", "ConfigureSuccess", "ConfigureFailure"})
"""Server messages of the official Python SDK's listen v1 client beyond the AsyncAPI's list."""


async def _answered(ctx: CaseContext, plan: Plan, alone: Sequence[tuple[str, str]]) -> None:
    """The plan's stream opens and gets Results valid against schemas/stream-results.json; a
    refusal names which of `alone` are refused each by itself (blocked by STREAM-AUTH-HEADER
    when no stream opens, by STREAM-RESULTS-SCHEMA when a Results is malformed)."""
    await require_route(ctx)
    stream = await played(ctx, plan)
    if not stream.opened:
        refused = []
        for name, value in alone:
            probed = await probe(ctx, (*plan.source.params, (name, value)))
            if not probed.opened:
                refused.append(f"{name}={value} ({probed.exchange.describe()})")
        asked = ", ".join(f"{k}={v}" for k, v in plan.params if k != "interim_results")
        ctx.fail(
            f"{stream.exchange.describe()}: the stream asking for {asked} was refused"
            + (f"; alone, these are refused: {ordinal_list(refused) or 'none'}" if alone else ""),
            on=stream.exchange,
        )
    require_typed(ctx, plan, stream)
    found = results(stream)
    ctx.check(bool(found), f"{plan.describe()}: no Results came ({timeline(stream)})")
    for n, message in enumerate(found):
        problems = shapes.problems("stream-results", message.body)
        if problems:
            ctx.blocked(
                "STREAM-RESULTS-SCHEMA",
                f"{plan.describe()}: Results {n} breaks schemas/stream-results.json: "
                f"{ordinal_list(problems)}",
            )


@case("STREAM-FEATURES")
async def features_accepted(ctx: CaseContext) -> None:
    """A stream asking for diarize, smart_format, punctuate, redact=pci and numerals opens and
    is answered with Results that validate."""
    await _answered(ctx, FEATURED, FEATURES)


@case("STREAM-OPTIONS")
async def options_accepted(ctx: CaseContext) -> None:
    """A stream asking for the other listed options opens and is answered with Results that
    validate; a refusal names the options refused alone."""
    await _answered(ctx, OPTIONED, OPTIONS)


@case("STREAM-KEYTERM")
async def keyterm_accepted(ctx: CaseContext) -> None:
    """A stream with model=nova-3 and keyterm opens and is answered with Results that
    validate (keyterm is not probed alone: without nova-3 a refusal is documented)."""
    await _answered(ctx, KEYTERMED, ())


@case("STREAM-LANGUAGE-MULTI")
async def words_carry_language(ctx: CaseContext) -> None:
    """A stream with model=nova-3 and language=multi opens, and every word of its Results
    carries its language (an alternative's languages, when present, lists them, most first)."""
    await _answered(ctx, MULTILINGUAL, ())
    found = [
        language_problems(f"Results {n}: channel.alternatives[{a}]", alternative)
        for n, message in enumerate(results(await played(ctx, MULTILINGUAL)))
        for a, alternative in enumerate(message.body["channel"]["alternatives"])
    ]
    if not sum(count for count, _ in found):
        ctx.skip("the target recognised no words in the test audio, so there is nothing to check")
    problems = [problem for _, listed in found for problem in listed]
    ctx.check(not problems, f"{MULTILINGUAL.describe()}: {ordinal_list(problems)}")


@case("STREAM-MESSAGE-TYPES")
async def message_types_listed(ctx: CaseContext) -> None:
    """Every message of the suite's streams has a type the AsyncAPI (or the official SDK)
    lists; any other is reported with its first occurrence."""
    known = LISTED_TYPES | ATTESTED_TYPES
    for plan, stream in await played_all(ctx, CONTENT):
        other = [m for m in stream.messages if m.type not in known]
        kinds = sorted({str(m.type) for m in other})
        ctx.check(
            not other,
            f"{plan.describe()}: {len(other)} message(s) of a type the AsyncAPI does not list "
            f"({ordinal_list(kinds)}), the first at {other[0].at:.2f} s: "
            f"{str(other[0].body)[:200]}"
            if other
            else "",
        )
