"""LISTEN response headers: the dg-request-id header names the transcription, or the refusal,
it carries."""

from __future__ import annotations

from conformance.cases.kit.context import LISTEN_PATH, CaseContext, body_request_id
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


@case("LISTEN-ERROR-REQUEST-ID")
async def error_request_id_header(ctx: CaseContext) -> None:
    """A refused listen request carries a dg-request-id header, its body's request_id if any."""
    await ctx.listen_route()  # a missing route's 404 refuses nothing
    clip = audio.phrase()
    refused = [
        exchange
        for exchange in (
            await ctx.client.request("POST", LISTEN_PATH, content=b"", content_type="audio/wav"),
            await ctx.client.request(
                "POST", LISTEN_PATH, content=clip.wav, content_type="audio/wav", authorization=None
            ),
        )
        if (exchange.status or 0) >= 400
    ]
    if not refused:
        ctx.skip("neither an empty body nor a request without credentials was refused")
    for exchange in refused:
        header = exchange.response_headers.get("dg-request-id")
        ctx.check(
            bool(header),
            f"{exchange.describe()}: no dg-request-id header on the refusal; expected one naming "
            "the failed request",
            on=exchange,
        )
        in_body = body_request_id(exchange)
        ctx.check(
            in_body is None or header == in_body,
            f"{exchange.describe()}: dg-request-id header {header!r}, the error body's request_id "
            f"{in_body!r}; expected the same id in both",
            on=exchange,
        )
