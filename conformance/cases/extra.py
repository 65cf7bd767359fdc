"""EXTRA: extra=KEY:VALUE pairs echoed in metadata.extra of the pre-recorded response.

Each pair travels as document 002 writes it: the separator colon literal (`%3A` is not the
same character to a server that splits before decoding), key and value percent-encoded (a space
as '+'); the document's literal `%20` form is sent too.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, fields, replace
from typing import Any
from urllib.parse import quote_plus

from hypothesis import strategies as st

from conformance.cases.kit.context import (
    LISTEN_PATH,
    LISTEN_ROUTE,
    CaseContext,
    expect_transcription,
)
from conformance.cases.kit.delivery import Endpoint
from conformance.cases.kit.registry import case
from conformance.cases.listen.params import explore
from conformance.errors import CheckFailed
from conformance.wire import audio
from conformance.wire.http import Exchange, Params

LIMIT = 2048
"""Characters per KEY:VALUE pair (document 002)."""


def query(params: Params) -> str:
    """The query string, each extra pair as `extra=KEY:VALUE` with its first colon literal
    (and the value's own colons too); every other character percent-encoded as usual."""
    parts = []
    for name, value in params:
        if name == "extra" and ":" in value:
            key, _, rest = value.partition(":")
            parts.append(f"extra={quote_plus(key, safe='')}:{quote_plus(rest, safe=':')}")
        else:
            parts.append(f"{quote_plus(name, safe='')}={quote_plus(value, safe='')}")
    return "&".join(parts)


@dataclass(frozen=True)
class LiteralExtra(Endpoint):
    """An endpoint whose requests write their query with `query` (EXTRA-IN-CALLBACK)."""

    async def submit(self, ctx: CaseContext, params: Params) -> Exchange:
        """The endpoint's standard request, its query string written by hand."""
        return await Endpoint.submit(replace(self, path=f"{self.path}?{query(params)}"), ctx, ())


def literal_extra(endpoint: Endpoint) -> Endpoint:
    """The endpoint, sending extra pairs as the document writes them."""
    return LiteralExtra(**{f.name: getattr(endpoint, f.name) for f in fields(endpoint)})


async def _post(ctx: CaseContext, query_string: str) -> Exchange:
    """POST the short phrase to /v1/listen?QUERY_STRING, sent exactly as written."""
    clip = audio.phrase()
    return await ctx.client.request(
        "POST", f"{LISTEN_PATH}?{query_string}", content=clip.wav, content_type=clip.content_type
    )


async def _send(ctx: CaseContext, params: Params) -> Exchange:
    """POST the short phrase with these parameters, extra written as documented."""
    return await _post(ctx, query(params))


def _extra(ctx: CaseContext, body: dict[str, Any], params: Params) -> dict[str, Any]:
    """metadata.extra, or a skip when the target returns none at all (EXTRA-ECHO's failure)."""
    extra = body["metadata"].get("extra")
    if extra is None:
        ctx.blocked("EXTRA-ECHO", f"{query(params)} got no metadata.extra at all")
    ctx.check(
        isinstance(extra, dict),
        f"{query(params)}: metadata.extra is {type(extra).__name__}, expected an object",
    )
    assert isinstance(extra, dict)
    return extra


async def _echoed(ctx: CaseContext, params: Params, expected: dict[str, str]) -> None:
    """Send the pairs and compare metadata.extra with what the document says comes back."""
    extra = _extra(ctx, expect_transcription(await _send(ctx, params)), params)
    wrong = {k: extra.get(k, "(absent)") for k, v in expected.items() if extra.get(k) != v}
    ctx.check(
        not wrong,
        f"sent {query(params)}: expected metadata.extra to hold {expected}; it holds {extra}",
    )


@case("EXTRA-ECHO")
async def pair_echoed(ctx: CaseContext) -> None:
    """extra=KEY:VALUE comes back as metadata.extra = {KEY: VALUE}."""
    params = [("extra", "myKey:someValue")]
    body = expect_transcription(await _send(ctx, params))
    extra = body["metadata"].get("extra")
    ctx.check(
        extra == {"myKey": "someValue"},
        f"sent {query(params)}: metadata.extra is {extra!r}; the document shows "
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
    pairs = {"dataflow": "marketing team", "chars": "a&b=c#d%e/f?g+h;i"}
    await asyncio.gather(
        *(_echoed(ctx, [("extra", f"{k}:{v}")], {k: v}) for k, v in pairs.items()),
        *(_as_written(ctx, query) for query in DOCUMENTED),
    )


DOCUMENTED = ("extra=dataflow:marketing%20team", "extra=dataflow:marketing+team")
"""Document 002's two spellings of one pair with a space, each sent exactly as written."""


async def _as_written(ctx: CaseContext, query_string: str) -> None:
    """The document's own example, exactly as written, comes back as {dataflow: marketing team}."""
    exchange = await _post(ctx, query_string)
    extra = expect_transcription(exchange)["metadata"].get("extra")
    if extra is None:
        ctx.blocked("EXTRA-ECHO", f"{exchange.describe()} got no metadata.extra at all")
    ctx.check(
        isinstance(extra, dict) and extra.get("dataflow") == "marketing team",
        f"sent {query_string}: metadata.extra is {extra!r}; expected "
        "{'dataflow': 'marketing team'}",
        on=exchange,
    )


_TEXT = st.characters(codec="utf-8", exclude_characters=":", exclude_categories=("Cc", "Cs"))


@case("EXTRA-ENCODING-UNICODE")
async def generated_unicode_pairs(ctx: CaseContext) -> None:
    """A fixed accented pair and generated unicode keys and values come back exactly.

    Surrogates are left out (they cannot be encoded in UTF-8, so they cannot travel at all), and
    so are control characters: the documents promise spaces and special characters, not NUL or
    C0/C1 controls in a query string, which a conformant server may refuse. Colons too: a colon
    in the key would end it, and one in the value is EXTRA-FIRST-COLON's business, kept out so
    that each fault fails exactly its requirement.
    """

    async def echoed(pair: tuple[str, str]) -> None:
        key, value = pair
        exchange = await _send(ctx, [("extra", f"{key}:{value}")])
        extra = expect_transcription(exchange)["metadata"].get("extra")
        if extra is None:
            ctx.blocked("EXTRA-ECHO", f"{exchange.describe()} got no metadata.extra at all")
        if not isinstance(extra, dict) or extra.get(key) != value:
            raise CheckFailed(
                f"sent extra={key!r}:{value!r} (code points "
                f"{[hex(ord(c)) for c in key + ':' + value]}); metadata.extra is {extra!r}"
            )

    pairs = st.tuples(
        st.text(_TEXT, min_size=1, max_size=16), st.text(_TEXT, min_size=1, max_size=32)
    )
    try:
        await _echoed(ctx, [("extra", "accent:équipe café")], {"accent": "équipe café"})
        await explore(ctx, pairs, echoed)
    except CheckFailed as failed:  # EXTRA-ENCODING's defect, unless its own values decode
        ctx.blocked("EXTRA-ENCODING", str(failed))
    ctx.note(f"up to {ctx.config.examples} generated unicode pairs echoed")


def _pair(length: int) -> str:
    """A KEY:VALUE pair of exactly `length` characters."""
    key = "conformance"
    return f"{key}:{'v' * (length - len(key) - 1)}"


@case("EXTRA-LIMIT")
async def pair_at_limit_accepted(ctx: CaseContext) -> None:
    """A pair of 2048 characters, colon included, is accepted."""
    exchange = await _send(ctx, [("extra", _pair(LIMIT))])
    if exchange.status != 200:
        ctx.blocked(
            LISTEN_ROUTE,
            f"{exchange.describe()}: an extra pair of {LIMIT} characters should be accepted",
        )


@case("EXTRA-LIMIT-ENFORCED")
async def pair_over_limit_refused(ctx: CaseContext) -> None:
    """A pair of 2050 characters (over 2048 however the colon is counted) gets 400."""
    await ctx.listen_route()
    exchange = await _send(ctx, [("extra", _pair(LIMIT + 2))])
    ctx.check(
        exchange.status == 400,
        f"{exchange.describe()}: an extra pair of {LIMIT + 2} characters is over the documented "
        f"limit of {LIMIT}; expected 400",
    )


@case("EXTRA-NO-COLON")
async def pair_without_colon_refused(ctx: CaseContext) -> None:
    """An extra value that is not KEY:VALUE gets 400."""
    await ctx.listen_route()
    exchange = await _send(ctx, [("extra", "nocolonhere")])
    ctx.check(
        exchange.status == 400,
        f"{exchange.describe()}: extra=nocolonhere is not a KEY:VALUE pair; expected 400",
    )
