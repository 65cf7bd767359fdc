"""KEYS: API key management in the dialect the target declares (v1 of the official spec, or the
legacy /v2/keys of document 004). Every key created is deleted when the run ends."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from urllib.parse import quote

from conformance.cases.auth import WRONG_KEY, refusals
from conformance.cases.kit.context import CaseContext
from conformance.cases.kit.delivery import LISTEN, PLAIN, delivered, keep_evidence
from conformance.cases.kit.management import (
    delete_as,
    delete_key,
    deleted_status,
    eventually,
    gone,
    key_authorization,
    legacy,
    listed_keys,
    listen_as,
    project_path,
    shaped,
    shared_key,
    usable_key,
)
from conformance.cases.kit.registry import case
from conformance.wire.http import Exchange, record


@case("KEYS-CREATE")
async def key_created(ctx: CaseContext) -> None:
    """Creating a key answers with its identifier and its secret in the documented shape."""
    made = await shared_key(ctx)
    if legacy(ctx):
        shaped(ctx, made.exchange, "keys-legacy-create", {201})
    else:
        shaped(ctx, made.exchange, "keys-create", {200})


@case("KEYS-LABEL")
async def key_label_echoed(ctx: CaseContext) -> None:
    """The created key carries the comment (v2: label) it was created with."""
    made = await shared_key(ctx)
    if made.key_id is None:
        ctx.blocked("KEYS-CREATE", f"{made.exchange.describe()}: no key was created")
    field = "label" if legacy(ctx) else "comment"
    body = made.exchange.json()
    ctx.check(
        isinstance(body, dict) and body.get(field) == made.label,
        f"{made.exchange.describe()}: the new key's {field} is "
        f"{body.get(field) if isinstance(body, dict) else None!r}; it was created with "
        f"{field} {made.label!r}",
        on=made.exchange,
    )


async def _shared(ctx: CaseContext, name: str, make: Callable[[], Awaitable[Exchange]]) -> Exchange:
    """The run's one exchange of this name about the shared key, in this case's evidence."""
    exchange = await ctx.fixtures.shared(("key", name), make)
    record(exchange)
    return exchange


async def _key_works(ctx: CaseContext) -> Exchange:
    """A transcription made with the shared key, looked at again until accepted (within the
    observation window): AUTHENTICATES judges it, DG-TOKEN needs it."""

    async def look() -> Exchange:
        key_id, secret = await usable_key(ctx)
        authorization = key_authorization(ctx, key_id, secret)
        return await eventually(
            ctx, lambda: listen_as(ctx, authorization), lambda answer: answer.status == 200
        )

    return await _shared(ctx, "works", look)


async def _secret_works(ctx: CaseContext) -> Exchange:
    """A transcription made with the shared key's secret alone (Token), as every v1 client
    sends it, looked at again until accepted: a legacy target's second form of the key."""

    async def look() -> Exchange:
        _, secret = await usable_key(ctx)
        return await eventually(
            ctx, lambda: listen_as(ctx, f"Token {secret}"), lambda answer: answer.status == 200
        )

    return await _shared(ctx, "secret-works", look)


def works_requirement(ctx: CaseContext) -> str:
    """The requirement judging whether a created key authenticates in the form the run uses:
    the key:secret pair under the legacy dialect, the secret under v1."""
    return "KEYS-LEGACY-PAIR" if legacy(ctx) else "KEYS-AUTHENTICATES"


@case("KEYS-AUTHENTICATES")
async def new_key_authenticates(ctx: CaseContext) -> None:
    """A transcription made with the new key at once is accepted (on a target that refuses an
    unknown key: one that accepts any key proves nothing by accepting this one); under the
    legacy dialect in either form, the pair (KEYS-LEGACY-PAIR) or the secret alone."""
    await _unknown_keys_refused(ctx, "the new key being accepted")
    key_id, _ = await usable_key(ctx)
    exchange = await _key_works(ctx)
    if legacy(ctx) and exchange.status != 200:
        exchange = await _secret_works(ctx)
    ctx.check(
        exchange.status == 200,
        f"key {key_id} was just created; a transcription made with it got "
        f"{exchange.describe()} until {ctx.config.timing.observation:g} s later, expected 200 "
        "(a new key may take a moment to reach every server, so the suite looks again)",
        on=exchange,
    )


@case("KEYS-LEGACY-PAIR")
async def legacy_pair_authenticates(ctx: CaseContext) -> None:
    """Under the legacy dialect the new key and secret authenticate as a Basic username and
    password pair (document 004), not only the secret alone."""
    if not legacy(ctx):
        ctx.skip(
            "the v1 API has no key:secret pairs: a key authenticates by its secret alone "
            "(KEYS-AUTHENTICATES); give --dialect v2 for the legacy API of document 004"
        )
    await _unknown_keys_refused(ctx, "the pair being accepted")
    key_id, _ = await usable_key(ctx)
    pair = await _key_works(ctx)
    if pair.status != 200 and (await _secret_works(ctx)).status != 200:
        ctx.blocked("KEYS-AUTHENTICATES", f"key {key_id} does not authenticate in any form")
    ctx.check(
        pair.status == 200,
        f"key {key_id} authenticates by its secret alone, yet as the Basic pair key:secret "
        f"(key as the username, secret as the password) a transcription got {pair.describe()}",
        on=pair,
    )


async def _unknown_key(ctx: CaseContext) -> Exchange:
    """AUTH's request with an unknown key as Token (the run's one), in this case's evidence."""
    header = f"Token {WRONG_KEY}"
    return next(e for _, sent, e in await refusals(ctx, "wrong") if sent == header)


async def _unknown_keys_refused(ctx: CaseContext, what: str) -> None:
    """Blocked by AUTH-WRONG-KEY unless an unknown key is refused (a 4xx): else `what` would
    prove nothing."""
    control = await _unknown_key(ctx)
    if control.status is None or not 400 <= control.status < 500:
        ctx.blocked(
            "AUTH-WRONG-KEY",
            f"an unknown key is not refused ({control.describe()}), so {what} proves nothing",
        )


async def _listing(ctx: CaseContext) -> tuple[Exchange, list[str]]:
    """The key list once the shared key exists (LIST and SECRET-ONCE read the one request)."""

    async def look() -> Exchange:
        await shared_key(ctx)
        return (await listed_keys(ctx))[0]

    exchange = await _shared(ctx, "list", look)
    return exchange, list(_listed_ids(ctx, exchange))


def _listed_ids(ctx: CaseContext, exchange: Exchange) -> list[str]:
    """The key identifiers of a key list (see listed_keys)."""
    if legacy(ctx):
        body = shaped(ctx, exchange, "keys-legacy-list", {200})
        return [k["key"] for k in body["keys"]]
    body = shaped(ctx, exchange, "keys-list", {200})
    return [k["api_key"]["api_key_id"] for k in body["api_keys"]]


async def _got(ctx: CaseContext, key_id: str) -> Exchange:
    """GET .../keys/{key_id} of the shared key (GET and SECRET-ONCE read the one request)."""
    path = project_path(ctx, f"/keys/{quote(key_id, safe='')}")
    return await _shared(ctx, "get", lambda: ctx.client.request("GET", path))


@case("KEYS-LIST")
async def new_key_listed(ctx: CaseContext) -> None:
    """The key list includes a key just created."""
    made = await shared_key(ctx)
    if made.key_id is None:
        ctx.blocked(
            "KEYS-CREATE", f"no key could be created to look for ({made.exchange.describe()})"
        )
    exchange, ids = await _listing(ctx)
    ctx.check(
        made.key_id in ids,
        f"key {made.key_id} was just created; {exchange.describe()} lists {len(ids)} keys "
        "without it",
    )


@case("KEYS-SECRET-ONCE")
async def secret_not_shown_again(ctx: CaseContext) -> None:
    """Neither the list nor the key itself shows the secret again."""
    key_id, secret = await usable_key(ctx)
    answers = [(await _listing(ctx))[0]]
    if not legacy(ctx):
        answers.append(await _got(ctx, key_id))
    showing = [e.describe() for e in answers if secret.encode() in e.content]
    ctx.check(
        not showing,
        f"the secret of key {key_id} is returned again by {', '.join(showing)} (shown as "
        "<redacted> in the evidence); the document says creation is the only opportunity",
    )


@case("KEYS-GET")
async def key_retrieved(ctx: CaseContext) -> None:
    """GET .../keys/{key_id} returns the key just created."""
    if legacy(ctx):
        ctx.skip("the legacy key API of document 004 has no endpoint returning one key")
    key_id, _ = await usable_key(ctx)
    exchange = await _got(ctx, key_id)
    body = shaped(ctx, exchange, "keys-get", {200})
    got = body["item"]["member"]["api_key"]["api_key_id"]
    ctx.check(got == key_id, f"{exchange.describe()}: returned the key {got!r}, not {key_id}")


@case("KEYS-DELETE")
async def deleted_key_stops_working(ctx: CaseContext) -> None:
    """A deleted key is gone: the delete succeeds, it no longer authenticates nor is listed."""
    await _unknown_keys_refused(ctx, "a deleted key being accepted")
    key_id, secret = await usable_key(ctx, own=True)
    authorization = key_authorization(ctx, key_id, secret)
    before = await listen_as(ctx, authorization)
    if before.status != 200:
        ctx.blocked(works_requirement(ctx), f"the new key never worked ({before.describe()})")
    deleted = await delete_key(ctx, key_id)
    expected = deleted_status(ctx)
    ctx.check(
        deleted.status in expected,
        f"{deleted.describe()}: deleting key {key_id} should answer "
        f"{' or '.join(map(str, sorted(expected)))}",
    )
    if not legacy(ctx):
        shaped(ctx, deleted, "keys-delete", expected)
    after = await eventually(
        ctx,
        lambda: listen_as(ctx, authorization),
        lambda answer: answer.status is not None and 400 <= answer.status < 500,
    )
    ctx.check(
        after.status is not None and 400 <= after.status < 500,
        f"key {key_id} was deleted ({deleted.describe()}), yet a transcription made with it "
        f"got {after.describe()}; expected it refused like an unknown key (4xx, 401 by "
        "AUTH-WRONG-KEY-401)",
    )
    listing, ids = await listed_keys(ctx)
    ctx.check(key_id not in ids, f"key {key_id} was deleted, yet {listing.describe()} lists it")
    gone(ctx, key_id)


@case("KEYS-DELETE-UNKNOWN")
async def unknown_key_delete_404(ctx: CaseContext) -> None:
    """Deleting a key that never existed gets 404."""
    key_id = str(uuid.uuid4())
    exchange = await delete_key(ctx, key_id)
    ctx.check(
        exchange.status == 404,
        f"{exchange.describe()}: key {key_id} does not exist; expected 404",
    )


@case("KEYS-DELETE-UNAUTHORIZED")
async def unauthorized_delete_refused(ctx: CaseContext) -> None:
    """Deleting a key with a wrong credential, or with none, gets 401 and the key keeps working."""
    attempts = (
        (f"Token {WRONG_KEY}", "a wrong key", "AUTH-WRONG-KEY"),
        (None, "no credentials", "AUTH-MISSING"),
    )
    controls = (await _unknown_key(ctx), (await refusals(ctx, "missing"))[0][2])
    for (_, what, see), control in zip(attempts, controls, strict=True):
        if control.status != 401:
            ctx.skip(
                f"a transcription with {what} is not refused ({control.describe()}; "
                f"see {see}), so a delete accepted with it would only repeat that failure"
            )
    key_id, secret = await usable_key(ctx, own=True)
    key_auth = key_authorization(ctx, key_id, secret)
    before = await listen_as(ctx, key_auth)
    if before.status != 200:
        ctx.blocked(works_requirement(ctx), f"the new key never worked ({before.describe()})")
    for authorization, what, _ in attempts:
        refused = await delete_as(ctx, key_id, authorization)
        ctx.check(
            refused.status == 401,
            f"{refused.describe()}: deleting key {key_id} with {what} should be refused "
            "with 401 (document 004)",
        )
    after = await listen_as(ctx, key_auth)
    ctx.check(
        after.status == 200,
        f"both deletes of key {key_id} without valid credentials were refused, yet a "
        f"transcription made with the key now gets {after.describe()}; expected 200",
    )


async def _dg_token(ctx: CaseContext, authorization: str) -> str | None:
    """Transcribe with these credentials and a callback to a fresh mailbox; the first
    delivery's dg-token."""
    box = ctx.receiver.mailbox("new-key-dg-token")
    exchange = await listen_as(ctx, authorization, [("callback", box.url)])
    if exchange.status is None or not 200 <= exchange.status <= 299:
        ctx.blocked(
            "CALLBACK-ACCEPTED", f"the callback request was not accepted ({exchange.describe()})"
        )
    deadline = ctx.config.timing.first_delivery()
    arrived = await box.wait_for(1, deadline)
    keep_evidence(ctx, box)
    if not arrived:
        ctx.blocked("CALLBACK-DELIVERY", f"no callback arrived at {box.path} within {deadline:g} s")
    return box.deliveries[0].headers.get("dg-token")


@case("KEYS-DG-TOKEN")
async def callback_names_the_new_key(ctx: CaseContext) -> None:
    """A callback caused by a request made with a new key carries that key's id in dg-token
    (compared with the run key's own, on CALLBACK's plain delivery)."""
    if not ctx.receiver.reachable_from_target:
        ctx.skip(
            f"the target cannot reach the suite's callback receiver at {ctx.receiver.base_url}; "
            "give --callback-public-url with an address the target can reach"
        )
    run_key_id = ctx.config.credentials.api_key_id
    if not run_key_id:
        ctx.skip(
            "the run key's identifier is unknown (give --api-key-id): dg-token cannot be told apart"
        )
    box, _ = await delivered(ctx, LISTEN, PLAIN, share=True)
    control = box.deliveries[0].headers.get("dg-token")
    if control != run_key_id:
        ctx.blocked(
            "CALLBACK-DG-TOKEN",
            f"even the run's own key gets dg-token {control!r}, not {run_key_id!r}",
        )
    key_id, secret = await usable_key(ctx)
    before = await _key_works(ctx)
    if before.status != 200:
        ctx.blocked(works_requirement(ctx), f"the new key does not work ({before.describe()})")
    got = await _dg_token(ctx, key_authorization(ctx, key_id, secret))
    ctx.check(
        got == key_id,
        f"a callback caused by a request made with the key {key_id} created just before "
        f"carries dg-token {got!r}; expected that key's identifier",
    )
