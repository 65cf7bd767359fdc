"""LISTEN parameters: documented values accepted, values outside the domain refused.

Generated from schemas/parameters.toml: each documented value alone, then hypothesis-generated
combinations (valid) and single out-of-domain values (invalid), derandomised so every run sends
the same requests and a failure reproduces.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Flaky

from conformance.cases.kit import strategies as generate
from conformance.cases.kit.context import (
    LISTEN_PATH,
    CaseContext,
    error_body_problem,
    schema_problem,
)
from conformance.cases.kit.registry import case
from conformance.cases.kit.walk import ordinal_list
from conformance.errors import CaseOutcome, CheckFailed
from conformance.wire import audio
from conformance.wire.http import Exchange, record

T = TypeVar("T")


async def _send(ctx: CaseContext, query: generate.Query) -> Exchange:
    """POST the short phrase with this query."""
    return await ctx.client.request(
        "POST", LISTEN_PATH, params=query, content=audio.phrase().wav, content_type="audio/wav"
    )


INVALID = [("alternatives", "two")]
"""A value outside its domain by type, sent once per run: LISTEN-PARAM-INVALID judges its
refusal first, and LISTEN-ERROR-BODY its error body."""


async def invalid_value(ctx: CaseContext) -> Exchange:
    """The run's one request with the INVALID value."""
    exchange = await ctx.fixtures.shared(("invalid-value",), lambda: _send(ctx, INVALID))
    record(exchange)
    return exchange


async def explore(
    ctx: CaseContext,
    strategy: st.SearchStrategy[T],
    check: Callable[[T], Coroutine[Any, Any, None]],
) -> None:
    """Run `check` on generated examples in a worker thread; the first failure ends the case.

    Hypothesis drives a synchronous test function, so it runs in a thread that hands each
    example back to the run's event loop. No shrinking: against a metered API every request
    costs, and the failing example is reported as generated.
    """
    loop = asyncio.get_running_loop()
    deadline = ctx.config.timing.request * 2

    @settings(
        max_examples=ctx.config.examples,
        derandomize=True,
        database=None,
        deadline=None,
        phases=(Phase.explicit, Phase.generate),
        suppress_health_check=list(HealthCheck),
        report_multiple_bugs=False,
    )
    @given(strategy)
    def prop(example: T) -> None:
        asyncio.run_coroutine_threadsafe(check(example), loop).result(deadline)

    try:
        await asyncio.to_thread(prop)
    except CaseOutcome:
        raise
    except Flaky:
        raise CheckFailed(
            "the target answered the same generated request differently when it was sent again"
        ) from None
    except TimeoutError:
        raise CheckFailed(f"a generated request got no answer within {deadline:g} s") from None


@case("LISTEN-PARAM-VALID")
async def documented_values_accepted(ctx: CaseContext) -> None:
    """Documented values, a few requests holding all of them and each value alone where its
    request was not transcribed, then generated combinations, get schema-valid transcriptions
    (judged once plain audio gets one: else LISTEN-SCHEMA's failure is what shows here)."""
    await ctx.transcription(audio.mono())
    parameters = list(ctx.catalogue.generated_parameters("listen"))
    rounds = generate.documented_rounds(parameters)
    answers = await asyncio.gather(*(_send(ctx, query) for query in rounds))
    unproven = [
        pair
        for query, answer in zip(rounds, answers, strict=True)
        if _transcription_problem(answer) is not None
        for pair in query
    ]
    alone = await asyncio.gather(*(_send(ctx, [pair]) for pair in unproven))
    refused = [
        f"{name}={value} ({problem})"
        for (name, value), exchange in zip(unproven, alone, strict=True)
        if (problem := _transcription_problem(exchange)) is not None
    ]
    singles = sum(len(query) for query in rounds)
    ctx.check(
        not refused,
        f"{len(refused)} of {singles} documented values did not get a schema-valid "
        f"transcription when sent alone: {ordinal_list(refused)}",
    )
    ctx.note(
        f"{singles} documented values accepted: in {len(rounds)} requests holding all of them, "
        f"{len(unproven)} sent again alone where their request was not transcribed"
    )

    async def accepted(query: generate.Query) -> None:
        problem = _transcription_problem(await _send(ctx, query))
        if problem is not None:
            raise CheckFailed(f"the valid combination {_show(query)}: {problem}")

    await explore(ctx, generate.valid_queries(parameters), accepted)
    ctx.note(f"up to {ctx.config.examples} generated valid combinations accepted")


def _transcription_problem(exchange: Exchange) -> str | None:
    """Why an answer is not a 200 transcription valid against schemas/listen-response.json."""
    if exchange.status != 200:
        return f"refused: {exchange.describe()}"
    problem = schema_problem(exchange, "listen")
    if problem:
        return f"{exchange.describe()}, breaking schemas/listen-response.json: {problem}"
    return None


@case("LISTEN-PARAM-INVALID")
async def out_of_domain_values_refused(ctx: CaseContext) -> None:
    """A single value outside its documented domain gets 400 with a JSON error body."""
    await ctx.listen_route()
    parameters = list(ctx.catalogue.generated_parameters("listen"))

    async def refused(example: tuple[str, generate.Query]) -> None:
        culprit, query = example
        fixed = query == INVALID
        exchange = await (invalid_value(ctx) if fixed else _send(ctx, query))
        if exchange.status != 400:
            raise CheckFailed(
                f"{culprit} is outside the documented domain but "
                f"{_show(query)} got {exchange.describe()}; expected 400"
            )
        problem = error_body_problem(exchange)
        if problem is not None:
            raise CheckFailed(
                f"{culprit} is outside the documented domain and {_show(query)} got 400, "
                f"but not the documented error body: {problem}"
            )

    await refused(("alternatives=two", INVALID))
    await explore(ctx, generate.invalid_queries(parameters), refused)
    ctx.note(
        f"alternatives=two and up to {ctx.config.examples} generated invalid values refused "
        "with error bodies"
    )


def _show(query: generate.Query) -> str:
    return "&".join(f"{k}={v}" for k, v in query)
