"""EXTRA: extra=KEY:VALUE pairs echoed in metadata.extra of the pre-recorded response.

The suite's client URL-encodes each value (a space as '+', other special characters as %XX);
the document's literal `%20` form is sent too, written into the query string by hand.
"""

from __future__ import annotations

import asyncio
from typing import Any

from hypothesis import strategies as st

from ..errors import CheckFailed
from ..wire import audio
from ..wire.http import Params
from .context import LISTEN_PATH, CaseContext, expect_transcription
from .listen_params import explore
from .registry import case

LIMIT = 2048
"""Characters per KEY:VALUE pair (document 002)."""


def _query(params: Params) -> str:
    return "&".join(f"{name}={value}" for name, value in params)


def _extra(ctx: CaseContext, body: dict[str, Any], params: Params) -> dict[str, Any]:
    """metadata.extra, or a skip when the target returns none at all (EXTRA-ECHO's failure)."""
    extra = body["metadata"].get("extra")
    if extra is None:
        ctx.skip(f"{_query(params)} got no metadata.extra at all (see EXTRA-ECHO)")
    ctx.check(
        isinstance(extra, dict),
        f"{_query(params)}: metadata.extra is {type(extra).__name__}, expected an object",
    )
    assert isinstance(extra, dict)
    return extra


async def _echoed(ctx: CaseContext, params: Params, expected: dict[str, str]) -> None:
    """Send the pairs and compare metadata.extra with what the document says comes back."""
    extra = _extra(ctx, await ctx.transcription(audio.mono(), params), params)
    wrong = {k: extra.get(k, "(absent)") for k, v in expected.items() if extra.get(k) != v}
    ctx.check(
        not wrong,
        f"sent {_query(params)}: expected metadata.extra to hold {expected}; it holds {extra}",
    )


@case("EXTRA-ECHO")
async def pair_echoed(ctx: CaseContext) -> None:
    """extra=KEY:VALUE comes back as metadata.extra = {KEY: VALUE}."""
    params = [("extra", "myKey:someValue")]
    body = await ctx.transcription(audio.mono(), params)
    extra = body["metadata"].get("extra")
    ctx.check(
        extra == {"myKey": "someValue"},
        f"sent {_query(params)}: metadata.extra is {extra!r}; the document shows "
        "{'myKey': 'someValue'}",
    )


@case("EXTRA-MULTIPLE")
async def several_pairs(ctx: CaseContext) -> None:
    """Several extra parameters give several keys."""
    params = [("extra", "team:marketing"), ("extra", "purpose:legal")]
    await _echoed(ctx, params, {"team": "marketing", "purpose": "legal"})


@case("EXTRA-DUPLICATE-LAST")
async def last_duplicate_wins(ctx: CaseContext) -> None:
    """extra=team:marketing&extra=team:gtm gives {team: gtm}, as the document's example."""
    params = [("extra", "team:marketing"), ("extra", "team:gtm")]
    await _echoed(ctx, params, {"team": "gtm"})


@case("EXTRA-FIRST-COLON")
async def split_at_first_colon(ctx: CaseContext) -> None:
    """A value may contain colons: the pair splits at its first one."""
    await _echoed(ctx, [("extra", "time:12:30:45")], {"time": "12:30:45"})


@case("EXTRA-ENCODING")
async def encoded_values_decode(ctx: CaseContext) -> None:
    """Spaces and special characters, URL-encoded on the way, come back decoded (one pair per
    request, so that EXTRA-MULTIPLE's failure does not show here)."""
    pairs = {"dataflow": "marketing team", "chars": "a&b=c#d%e/f?g+h;i", "accent": "équipe café"}
    await asyncio.gather(
        *(_echoed(ctx, [("extra", f"{k}:{v}")], {k: v}) for k, v in pairs.items()),
        _percent_20(ctx),
    )


async def _percent_20(ctx: CaseContext) -> None:
    """The document's own example, extra=dataflow:marketing%20team, exactly as written."""
    clip = audio.mono()
    exchange = await ctx.client.request(
        "POST",
        f"{LISTEN_PATH}?extra=dataflow:marketing%20team",
        content=clip.wav,
        content_type=clip.content_type,
    )
    extra = expect_transcription(exchange)["metadata"].get("extra")
    if extra is None:
        ctx.skip(f"{exchange.describe()} got no metadata.extra at all (see EXTRA-ECHO)")
    ctx.check(
        isinstance(extra, dict) and extra.get("dataflow") == "marketing team",
        f"sent extra=dataflow:marketing%20team: metadata.extra is {extra!r}; expected "
        "{'dataflow': 'marketing team'}",
    )


_TEXT = st.characters(codec="utf-8", exclude_characters=":")


@case("EXTRA-ENCODING")
async def generated_unicode_pairs(ctx: CaseContext) -> None:
    """Generated unicode keys and values come back exactly.

    Surrogates are left out (they cannot be encoded in UTF-8, so they cannot travel at all),
    and colons too: a colon in the key would end it, and one in the value is EXTRA-FIRST-COLON's
    business, kept out so that each fault fails exactly its requirement.
    """
    clip = audio.mono()

    async def echoed(pair: tuple[str, str]) -> None:
        key, value = pair
        params = [("extra", f"{key}:{value}")]
        exchange = await ctx.client.request(
            "POST", LISTEN_PATH, params=params, content=clip.wav, content_type=clip.content_type
        )
        extra = expect_transcription(exchange)["metadata"].get("extra")
        if extra is None:
            ctx.skip(f"{exchange.describe()} got no metadata.extra at all (see EXTRA-ECHO)")
        if not isinstance(extra, dict) or extra.get(key) != value:
            raise CheckFailed(
                f"sent extra={key!r}:{value!r} (code points "
                f"{[hex(ord(c)) for c in key + ':' + value]}); metadata.extra is {extra!r}"
            )

    pairs = st.tuples(
        st.text(_TEXT, min_size=1, max_size=16), st.text(_TEXT, min_size=1, max_size=32)
    )
    await explore(ctx, pairs, echoed)
    ctx.note(f"up to {ctx.config.examples} generated unicode pairs echoed")


def _pair(length: int) -> str:
    """A KEY:VALUE pair of exactly `length` characters."""
    key = "conformance"
    return f"{key}:{'v' * (length - len(key) - 1)}"


@case("EXTRA-LIMIT")
async def pair_at_limit_accepted(ctx: CaseContext) -> None:
    """A pair of 2048 characters, colon included, is accepted."""
    exchange = await ctx.transcribe(audio.mono(), [("extra", _pair(LIMIT))])
    ctx.check(
        exchange.status == 200,
        f"{exchange.describe()}: an extra pair of {LIMIT} characters should be accepted",
    )


@case("EXTRA-LIMIT-ENFORCED")
async def pair_over_limit_refused(ctx: CaseContext) -> None:
    """A pair of 2050 characters (over 2048 however the colon is counted) gets 400."""
    exchange = await ctx.transcribe(audio.mono(), [("extra", _pair(LIMIT + 2))])
    ctx.check(
        exchange.status == 400,
        f"{exchange.describe()}: an extra pair of {LIMIT + 2} characters is over the documented "
        f"limit of {LIMIT}; expected 400",
    )


@case("EXTRA-NO-COLON")
async def pair_without_colon_refused(ctx: CaseContext) -> None:
    """An extra value that is not KEY:VALUE gets 400."""
    exchange = await ctx.transcribe(audio.mono(), [("extra", "nocolonhere")])
    ctx.check(
        exchange.status == 400,
        f"{exchange.describe()}: extra=nocolonhere is not a KEY:VALUE pair; expected 400",
    )
