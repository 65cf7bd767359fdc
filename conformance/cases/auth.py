"""AUTH: which credentials the target accepts and refuses."""

from __future__ import annotations

from ..config import AuthScheme
from ..wire import audio
from ..wire.http import Exchange
from .context import LISTEN_PATH, CaseContext, expect_transcription
from .registry import case

GRANT_PATH = "/v1/auth/grant"
WRONG_KEY = "conformance-wrong-key-0000000000000000"


async def _listen_with(ctx: CaseContext, authorization: str | None) -> Exchange:
    clip = audio.mono()
    return await ctx.client.request(
        "POST",
        LISTEN_PATH,
        content=clip.wav,
        content_type=clip.content_type,
        authorization=authorization,
    )


@case("AUTH-TOKEN")
async def token_scheme_accepted(ctx: CaseContext) -> None:
    """'Authorization: Token <API key>' is accepted."""
    credentials = ctx.config.credentials
    if credentials.scheme is AuthScheme.BASIC:
        ctx.skip("the run's credential is a Basic user:password pair, not an API key")
    expect_transcription(await _listen_with(ctx, f"Token {credentials.api_key}"))


@case("AUTH-BEARER")
async def bearer_grant_accepted(ctx: CaseContext) -> None:
    """A token from POST /v1/auth/grant works as 'Authorization: Bearer <token>'."""
    ctx.needs("grant")
    grant = await ctx.client.request("POST", GRANT_PATH, json_body={"ttl_seconds": 60})
    if grant.status in {404, 405, 501}:
        ctx.skip(f"the target has no token grant endpoint ({grant.describe()})")
    if grant.status != 200:
        ctx.skip(f"no bearer token could be obtained to test with ({grant.describe()})")
    body = grant.json()
    token = body.get("access_token") if isinstance(body, dict) else None
    ctx.check(
        isinstance(token, str) and token != "", f"{grant.describe()}: the grant has no access_token"
    )
    assert isinstance(token, str)
    ctx.redactor.add(token)
    expect_transcription(await _listen_with(ctx, f"Bearer {token}"))


@case("AUTH-MISSING")
async def missing_credentials_refused(ctx: CaseContext) -> None:
    """A request without an Authorization header gets 401."""
    exchange = await _listen_with(ctx, None)
    ctx.check(exchange.status == 401, f"{exchange.describe()}: expected 401 without credentials")


@case("AUTH-WRONG-KEY")
async def wrong_key_refused(ctx: CaseContext) -> None:
    """An unknown key gets 401, whichever scheme carries it."""
    for scheme in ("Token", "Bearer"):
        exchange = await _listen_with(ctx, f"{scheme} {WRONG_KEY}")
        ctx.check(
            exchange.status == 401,
            f"{exchange.describe()}: an unknown key sent as {scheme} should get 401",
        )
