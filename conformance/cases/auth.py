"""AUTH: which credentials the target accepts and refuses."""

from __future__ import annotations

from conformance.cases.kit.context import LISTEN_PATH, CaseContext, expect_accepted
from conformance.cases.kit.context import WRONG_KEY as WRONG_KEY
from conformance.cases.kit.registry import case
from conformance.run.config import AuthScheme
from conformance.wire import audio
from conformance.wire.http import Exchange, record

GRANT_PATH = "/v1/auth/grant"


async def _listen_with(ctx: CaseContext, authorization: str | None) -> Exchange:
    """POST the short phrase with these credentials."""
    clip = audio.phrase()
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
    if credentials.scheme is AuthScheme.TOKEN:  # the run's own requests carry it
        expect_accepted(await ctx.transcribe(audio.mono()))
    else:
        expect_accepted(await _listen_with(ctx, f"Token {credentials.api_key}"))


@case("AUTH-BEARER")
async def bearer_grant_accepted(ctx: CaseContext) -> None:
    """A token from POST /v1/auth/grant works as 'Authorization: Bearer <token>'."""
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
    expect_accepted(await _listen_with(ctx, f"Bearer {token}"))


PROBES: dict[str, list[tuple[str, str | None]]] = {
    "missing": [("no Authorization header", None)],
    "wrong": [
        (f"an unknown key sent as {scheme}", f"{scheme} {WRONG_KEY}")
        for scheme in ("Token", "Bearer")
    ],
}
"""What the refusal cases send: (what it is, the Authorization header), by kind."""


Probe = tuple[str, str | None, Exchange]
"""What was sent, the Authorization header it carried, and the answer."""


async def refusals(ctx: CaseContext, kind: str) -> list[Probe]:
    """The probes of one kind of bad credential, sent once per run (LISTEN-ERROR-BODY and the
    KEYS controls read them too)."""

    async def send() -> list[Probe]:
        return [(label, header, await _listen_with(ctx, header)) for label, header in PROBES[kind]]

    probes = await ctx.fixtures.shared(("auth-refusals", kind), send)
    for _, _, exchange in probes:
        record(exchange)
    return probes


async def _expect_refused(ctx: CaseContext, probes: list[Probe]) -> None:
    """Each request was refused (a 4xx), so no transcription was given, on a route shown to
    exist."""
    await ctx.listen_route()
    for label, header, exchange in probes:
        ctx.literal_authorization = header
        ctx.check(
            exchange.status is not None and 400 <= exchange.status < 500,
            f"{exchange.describe()}: {label} should be refused with a 4xx; "
            f"body {exchange.response_body[:100]!r}",
            on=exchange,
        )


async def _expect_401(ctx: CaseContext, probes: list[Probe]) -> None:
    """Each request was refused with exactly 401 Unauthorized, on a route shown to exist."""
    await ctx.listen_route()
    for label, header, exchange in probes:
        ctx.literal_authorization = header
        ctx.check(
            exchange.status == 401, f"{exchange.describe()}: {label} should get 401", on=exchange
        )


@case("AUTH-MISSING")
async def missing_credentials_refused(ctx: CaseContext) -> None:
    """A request without an Authorization header is refused with a 4xx."""
    await _expect_refused(ctx, await refusals(ctx, "missing"))


@case("AUTH-MISSING-401")
async def missing_credentials_get_401(ctx: CaseContext) -> None:
    """A request without an Authorization header gets 401."""
    await _expect_401(ctx, await refusals(ctx, "missing"))


@case("AUTH-WRONG-KEY")
async def wrong_key_refused(ctx: CaseContext) -> None:
    """An unknown key, whichever scheme carries it, is refused with a 4xx."""
    await _expect_refused(ctx, await refusals(ctx, "wrong"))


@case("AUTH-WRONG-KEY-401")
async def wrong_key_gets_401(ctx: CaseContext) -> None:
    """An unknown key, whichever scheme carries it, gets 401."""
    await _expect_401(ctx, await refusals(ctx, "wrong"))
