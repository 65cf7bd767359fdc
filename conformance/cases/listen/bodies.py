"""LISTEN request bodies: raw audio by MIME type, {"url": ...}, and how bad bodies are refused."""

from __future__ import annotations

import asyncio

from conformance.cases.auth import refusals
from conformance.cases.kit.context import (
    LISTEN_PATH,
    CaseContext,
    error_body_problem,
    expect_accepted,
    expect_transcription,
)
from conformance.cases.kit.registry import case
from conformance.cases.kit.walk import ordinal_list
from conformance.cases.listen.params import invalid_value
from conformance.wire import audio
from conformance.wire.addresses import is_private
from conformance.wire.http import Exchange, record


@case("LISTEN-RAW-BODY")
async def raw_audio_with_its_mime_type(ctx: CaseContext) -> None:
    """Raw WAV bytes sent as audio/wav are transcribed, at 16 kHz (the run's shared plain
    transcription of the mono clip) and at telephony's 8 kHz."""
    clip, short = audio.mono(), audio.phrase()
    eight = ctx.client.request(
        "POST", LISTEN_PATH, content=audio.at_8khz(short), content_type="audio/wav"
    )
    for rate, request in (
        (clip.sample_rate, ctx.transcribe(clip)),
        (short.sample_rate // 2, eight),
    ):
        exchange = await request
        ctx.check(
            exchange.status == 200,
            f"raw 16-bit mono WAV at {rate} Hz sent as audio/wav: {exchange.describe()}, "
            f"expected 200 with a transcription; body {exchange.response_body[:200]!r}",
            on=exchange,
        )


@case("LISTEN-RAW-BODY-ALIASES")
async def raw_audio_under_wav_aliases(ctx: CaseContext) -> None:
    """Raw WAV bytes are transcribed under the other common WAV MIME types too."""
    clip = audio.phrase()
    for content_type in ("audio/wave", "audio/x-wav"):
        exchange = await ctx.client.request(
            "POST", LISTEN_PATH, content=clip.wav, content_type=content_type
        )
        expect_accepted(exchange)


@case("LISTEN-URL-BODY")
async def json_url_body(ctx: CaseContext) -> None:
    """{"url": ...} pointing at the suite's own audio server is fetched and transcribed."""
    url = ctx.receiver.audio_url("phrase")
    if not ctx.receiver.reachable_from_target:
        ctx.skip(
            f"the target cannot reach the suite's audio server at {ctx.receiver.base_url}; "
            "give --callback-public-url with an address the target can reach"
        )
    before = len(ctx.receiver.fetches)
    exchange = await ctx.client.request("POST", LISTEN_PATH, json_body={"url": url})
    fetched = len(ctx.receiver.fetches) > before
    if exchange.status == 400 and not fetched and _may_refuse_as_private(ctx):
        ctx.skip(
            f"{exchange.describe()}: the target refused the audio URL {url} without fetching "
            "it; the suite's audio server is on a loopback or private address, which a target "
            "may refuse (no SSRF); give --callback-public-url with an address the target accepts"
        )
    expect_transcription(exchange)
    ctx.check(fetched, f"the target answered 200 but never fetched {url}")


def _may_refuse_as_private(ctx: CaseContext) -> bool:
    """Whether a foreign target, given no public URL, may refuse the receiver's host as private."""
    if ctx.config.embedded or ctx.config.callback_public_url:
        return False
    return is_private(ctx.receiver.host)


BAD_BODIES = {
    "empty": (b"", "audio/wav"),
    "broken JSON": (b'{"url": "http://example.com/a.wav"', "application/json"),
    "JSON without url": (b'{"link": "http://example.com/a.wav"}', "application/json"),
}
"""The bodies the body cases send, each once per run: LISTEN-ERROR-BODY judges their refusals'
bodies as well."""


async def bad_body(ctx: CaseContext, kind: str) -> Exchange:
    """The run's one request with this bad body (see BAD_BODIES)."""
    content, content_type = BAD_BODIES[kind]
    exchange = await ctx.fixtures.shared(
        ("bad-body", kind),
        lambda: ctx.client.request("POST", LISTEN_PATH, content=content, content_type=content_type),
    )
    record(exchange)
    return exchange


@case("LISTEN-EMPTY-BODY")
async def empty_body_refused(ctx: CaseContext) -> None:
    """A request with no audio at all is refused with 400."""
    await ctx.listen_route()
    exchange = await bad_body(ctx, "empty")
    ctx.check(exchange.status == 400, f"{exchange.describe()}: an empty body should get 400")


@case("LISTEN-BAD-JSON")
async def broken_json_refused(ctx: CaseContext) -> None:
    """A JSON body that does not parse, or lacks url, is refused with 400."""
    await ctx.listen_route()
    for kind in ("broken JSON", "JSON without url"):
        exchange = await bad_body(ctx, kind)
        body = BAD_BODIES[kind][0]
        ctx.check(
            exchange.status == 400,
            f"{exchange.describe()}: the body {body.decode()!r} should get 400",
        )


@case("LISTEN-ERROR-BODY")
async def error_bodies_are_json(ctx: CaseContext) -> None:
    """Every 4xx answer met here carries one of the documented JSON error bodies: the refusals
    other cases provoke (an empty body, broken JSON, an invalid value, no credentials, an
    unknown key), each judged on the run's one request of it."""
    await ctx.listen_route()
    provoked = list(
        await asyncio.gather(
            bad_body(ctx, "empty"), bad_body(ctx, "broken JSON"), invalid_value(ctx)
        )
    )
    for kind in ("missing", "wrong"):
        provoked += [exchange for _, _, exchange in await refusals(ctx, kind)]
    refused = [e for e in provoked if e.status is not None and 400 <= e.status < 500]
    if not refused:
        ctx.skip("none of the provoking requests was refused with 4xx")
    bad = [problem for e in refused if (problem := error_body_problem(e)) is not None]
    ctx.check(
        not bad,
        f"{len(bad)} of {len(refused)} error bodies are not the documented "
        f"shape: {ordinal_list(bad)}",
    )
