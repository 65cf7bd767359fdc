"""LISTEN response headers: the dg-request-id header names the transcription it carries."""

from __future__ import annotations

from conformance.cases.kit.context import CaseContext
from conformance.cases.kit.registry import case
from conformance.cases.kit.walk import get
from conformance.wire import audio


@case("LISTEN-REQUEST-ID-HEADER")
async def request_id_header_matches_body(ctx: CaseContext) -> None:
    """A transcription's dg-request-id header equals its metadata.request_id."""
    exchange = await ctx.transcribe(audio.mono())
    body = await ctx.transcription(audio.mono())
    in_body = get(body, "metadata.request_id")
    header = exchange.response_headers.get("dg-request-id")
    ctx.check(
        header == in_body,
        f"{exchange.describe()}: dg-request-id header {header!r}, metadata.request_id "
        f"{in_body!r}; expected the same request id in both",
        on=exchange,
    )
