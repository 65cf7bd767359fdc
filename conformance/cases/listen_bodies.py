"""LISTEN request bodies: raw audio by MIME type, {"url": ...}, and how bad bodies are refused."""

from __future__ import annotations

import asyncio
import ipaddress

from ..wire import audio
from .context import (
    LISTEN_PATH,
    WRONG_KEY,
    CaseContext,
    error_body_problem,
    expect_accepted,
    expect_transcription,
)
from .registry import case
from .walk import ordinal_list


@case("LISTEN-RAW-BODY")
async def raw_audio_with_its_mime_type(ctx: CaseContext) -> None:
    """Raw WAV bytes sent as audio/wav are transcribed, at 16 kHz and at telephony's 8 kHz."""
    clip = audio.mono()
    for rate, wav in ((clip.sample_rate, clip.wav), (clip.sample_rate // 2, audio.at_8khz(clip))):
        exchange = await ctx.client.request(
            "POST", LISTEN_PATH, content=wav, content_type="audio/wav"
        )
        ctx.check(
            exchange.status == 200,
            f"raw 16-bit mono WAV at {rate} Hz sent as audio/wav: {exchange.describe()}, "
            f"expected 200 with a transcription; body {exchange.response_body[:200]!r}",
            on=exchange,
        )


@case("LISTEN-RAW-BODY-ALIASES")
async def raw_audio_under_wav_aliases(ctx: CaseContext) -> None:
    """Raw WAV bytes are transcribed under the other common WAV MIME types too."""
    clip = audio.mono()
    for content_type in ("audio/wave", "audio/x-wav"):
        exchange = await ctx.client.request(
            "POST", LISTEN_PATH, content=clip.wav, content_type=content_type
        )
        expect_accepted(exchange)


@case("LISTEN-URL-BODY")
async def json_url_body(ctx: CaseContext) -> None:
    """{"url": ...} pointing at the suite's own audio server is fetched and transcribed."""
    url = ctx.receiver.audio_url("mono")
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
    host = ctx.receiver.host
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host == "localhost"
    return address.is_loopback or address.is_private


@case("LISTEN-EMPTY-BODY")
async def empty_body_refused(ctx: CaseContext) -> None:
    """A request with no audio at all is refused with 400."""
    await ctx.listen_route()
    exchange = await ctx.client.request("POST", LISTEN_PATH, content=b"", content_type="audio/wav")
    ctx.check(exchange.status == 400, f"{exchange.describe()}: an empty body should get 400")


@case("LISTEN-BAD-JSON")
async def broken_json_refused(ctx: CaseContext) -> None:
    """A JSON body that does not parse, or lacks url, is refused with 400."""
    await ctx.listen_route()
    for body in (b'{"url": "http://example.com/a.wav"', b'{"link": "http://example.com/a.wav"}'):
        exchange = await ctx.client.request(
            "POST", LISTEN_PATH, content=body, content_type="application/json"
        )
        ctx.check(
            exchange.status == 400,
            f"{exchange.describe()}: the body {body.decode()!r} should get 400",
        )


@case("LISTEN-ERROR-BODY")
async def error_bodies_are_json(ctx: CaseContext) -> None:
    """Every 4xx answer met here carries one of the documented JSON error bodies."""
    await ctx.listen_route()
    wav = audio.mono().wav
    provoked = await asyncio.gather(
        ctx.client.request("POST", LISTEN_PATH, content=b"", content_type="audio/wav"),
        ctx.client.request("POST", LISTEN_PATH, content=b"{", content_type="application/json"),
        ctx.client.request(
            "POST",
            LISTEN_PATH,
            params=[("alternatives", "two")],
            content=wav,
            content_type="audio/wav",
        ),
        ctx.client.request(
            "POST", LISTEN_PATH, content=wav, content_type="audio/wav", authorization=None
        ),
        ctx.client.request(
            "POST",
            LISTEN_PATH,
            content=wav,
            content_type="audio/wav",
            authorization=f"Token {WRONG_KEY}",
        ),
    )
    refusals = [e for e in provoked if e.status is not None and 400 <= e.status < 500]
    if not refusals:
        ctx.skip("none of the provoking requests was refused with 4xx")
    bad = [problem for e in refusals if (problem := error_body_problem(e)) is not None]
    ctx.check(
        not bad,
        f"{len(bad)} of {len(refusals)} error bodies are not the documented "
        f"shape: {ordinal_list(bad)}",
    )
