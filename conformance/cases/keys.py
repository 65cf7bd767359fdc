"""KEYS: API key management in the dialect the target declares (v1 of the official spec, or the
legacy /v2/keys of document 004). Every key created is deleted when the run ends."""

from __future__ import annotations

import uuid
from urllib.parse import quote

from .auth import WRONG_KEY
from .context import CaseContext
from .delivery import keep_evidence
from .management import (
    create_key,
    delete_as,
    delete_key,
    deleted_status,
    eventually,
    key_authorization,
    legacy,
    listed_keys,
    listen_as,
    project_path,
    shaped,
    usable_key,
)
from .registry import case


@case("KEYS-CREATE")
async def key_created(ctx: CaseContext) -> None:
    """Creating a key answers with its identifier and its secret in the documented shape."""
    ctx.needs("keys")
    made = await create_key(ctx)
    if legacy(ctx):
        shaped(ctx, made.exchange, "keys-legacy-create", {201})
    else:
        shaped(ctx, made.exchange, "keys-create", {200})


@case("KEYS-AUTHENTICATES")
async def new_key_authenticates(ctx: CaseContext) -> None:
    """A transcription made with the new key at once is accepted (on a target that refuses an
    unknown key: one that accepts any key proves nothing by accepting this one)."""
    ctx.needs("keys")
    await _unknown_keys_refused(ctx, "the new key being accepted")
    key_id, secret = await usable_key(ctx)
    authorization = key_authorization(ctx, key_id, secret)
    exchange = await eventually(
        ctx, lambda: listen_as(ctx, authorization), lambda answer: answer.status == 200
    )
    ctx.check(
        exchange.status == 200,
        f"key {key_id} was just created; a transcription made with it got "
        f"{exchange.describe()} until {ctx.config.timing.observation:g} s later, expected 200 "
        "(a new key may take a moment to reach every server, so the suite looks again)",
        on=exchange,
    )


async def _unknown_keys_refused(ctx: CaseContext, what: str) -> None:
    """Blocked by AUTH-WRONG-KEY unless an unknown key is refused (a 4xx): else `what` would
    prove nothing."""
    control = await listen_as(ctx, f"Token {WRONG_KEY}")
    if control.status is None or not 400 <= control.status < 500:
        ctx.blocked(
            "AUTH-WRONG-KEY",
            f"an unknown key is not refused ({control.describe()}), so {what} proves nothing",
        )


@case("KEYS-LIST")
async def new_key_listed(ctx: CaseContext) -> None:
    """The key list includes a key just created."""
    ctx.needs("keys")
    made = await create_key(ctx)
    if made.key_id is None:
        ctx.blocked(
            "KEYS-CREATE", f"no key could be created to look for ({made.exchange.describe()})"
        )
    exchange, ids = await listed_keys(ctx)
    ctx.check(
        made.key_id in ids,
        f"key {made.key_id} was just created; {exchange.describe()} lists {len(ids)} keys "
        "without it",
    )


@case("KEYS-SECRET-ONCE")
async def secret_not_shown_again(ctx: CaseContext) -> None:
    """Neither the list nor the key itself shows the secret again."""
    ctx.needs("keys")
    key_id, secret = await usable_key(ctx)
    answers = [(await listed_keys(ctx))[0]]
    if not legacy(ctx):
        path = project_path(ctx, f"/keys/{quote(key_id, safe='')}")
        answers.append(await ctx.client.request("GET", path))
    showing = [e.describe() for e in answers if secret.encode() in e.content]
    ctx.check(
        not showing,
        f"the secret of key {key_id} is returned again by {', '.join(showing)} (shown as "
        "<redacted> in the evidence); the document says creation is the only opportunity",
    )


@case("KEYS-GET")
async def key_retrieved(ctx: CaseContext) -> None:
    """GET .../keys/{key_id} returns the key just created."""
    ctx.needs("keys")
    if legacy(ctx):
        ctx.skip("the legacy key API of document 004 has no endpoint returning one key")
    key_id, _ = await usable_key(ctx)
    exchange = await ctx.client.request("GET", project_path(ctx, f"/keys/{quote(key_id, safe='')}"))
    body = shaped(ctx, exchange, "keys-get", {200})
    got = body["item"]["member"]["api_key"]["api_key_id"]
    ctx.check(got == key_id, f"{exchange.describe()}: returned the key {got!r}, not {key_id}")


@case("KEYS-DELETE")
async def deleted_key_stops_working(ctx: CaseContext) -> None:
    """A deleted key is gone: the delete succeeds, it no longer authenticates nor is listed."""
    ctx.needs("keys")
    await _unknown_keys_refused(ctx, "a deleted key being accepted")
    key_id, secret = await usable_key(ctx)
    authorization = key_authorization(ctx, key_id, secret)
    before = await listen_as(ctx, authorization)
    if before.status != 200:
        ctx.blocked("KEYS-AUTHENTICATES", f"the new key never worked ({before.describe()})")
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


@case("KEYS-DELETE-UNKNOWN")
async def unknown_key_delete_404(ctx: CaseContext) -> None:
    """Deleting a key that never existed gets 404."""
    ctx.needs("keys")
    key_id = str(uuid.uuid4())
    exchange = await delete_key(ctx, key_id)
    ctx.check(
        exchange.status == 404,
        f"{exchange.describe()}: key {key_id} does not exist; expected 404",
    )


@case("KEYS-DELETE-UNAUTHORIZED")
async def unauthorized_delete_refused(ctx: CaseContext) -> None:
    """Deleting a key with a wrong credential, or with none, gets 401 and the key keeps working."""
    ctx.needs("keys")
    attempts = (
        (f"Token {WRONG_KEY}", "a wrong key", "AUTH-WRONG-KEY"),
        (None, "no credentials", "AUTH-MISSING"),
    )
    for authorization, what, see in attempts:
        control = await listen_as(ctx, authorization)
        if control.status != 401:
            ctx.skip(
                f"a transcription with {what} is not refused ({control.describe()}; "
                f"see {see}), so a delete accepted with it would only repeat that failure"
            )
    key_id, secret = await usable_key(ctx)
    key_auth = key_authorization(ctx, key_id, secret)
    before = await listen_as(ctx, key_auth)
    if before.status != 200:
        ctx.blocked("KEYS-AUTHENTICATES", f"the new key never worked ({before.describe()})")
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


async def _dg_token(ctx: CaseContext, authorization: str, label: str) -> str | None:
    """Transcribe with a callback to a fresh mailbox; the first delivery's dg-token."""
    box = ctx.receiver.mailbox(label)
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
    """A callback caused by a request made with a new key carries that key's id in dg-token."""
    ctx.needs("keys")
    ctx.needs("callbacks")
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
    control = await _dg_token(ctx, ctx.config.credentials.authorization(), "run-key-dg-token")
    if control != run_key_id:
        ctx.blocked(
            "CALLBACK-DG-TOKEN",
            f"even the run's own key gets dg-token {control!r}, not {run_key_id!r}",
        )
    key_id, secret = await usable_key(ctx)
    authorization = key_authorization(ctx, key_id, secret)
    before = await listen_as(ctx, authorization)
    if before.status != 200:
        ctx.blocked("KEYS-AUTHENTICATES", f"the new key does not work ({before.describe()})")
    got = await _dg_token(ctx, authorization, "new-key-dg-token")
    ctx.check(
        got == key_id,
        f"a callback caused by a request made with the key {key_id} created just before "
        f"carries dg-token {got!r}; expected that key's identifier",
    )
