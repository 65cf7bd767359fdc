"""The management API as cases use it: keys in either dialect, the request log and usage.

Every key created here is deleted when the run ends (ctx.cleanups), and its secret is redacted
from the moment it arrives (ctx.secret).
"""

from __future__ import annotations

import asyncio
import base64
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import quote

from conformance.cases.kit.context import LISTEN_PATH, CaseContext
from conformance.cases.kit.walk import items, ordinal_list
from conformance.contract import shapes
from conformance.errors import CheckFailed
from conformance.run.config import AuthScheme
from conformance.wire import audio
from conformance.wire.http import Exchange, Params, TargetClient, record

T = TypeVar("T")

LEGACY_KEYS_PATH = "/v2/keys"
KEY_SCOPES = ["usage:write"]
"""The scope a key needs to transcribe."""


def unique(prefix: str) -> str:
    """A value no other run (or case) uses: tags and labels the suite can count exactly."""
    return f"conformance-{prefix}-{uuid.uuid4().hex[:12]}"


def legacy(ctx: CaseContext) -> bool:
    """Whether the target speaks the legacy v2 key API of document 004."""
    return ctx.config.dialect == "v2"


def project_path(ctx: CaseContext, tail: str) -> str:
    """/v1/projects/{project_id}TAIL, or a skip when the run has no project id."""
    if not ctx.config.project_id:
        ctx.skip(
            "the run has no project id: give --project-id (the project of the run's key) "
            "to test the management endpoints"
        )
    return f"/v1/projects/{quote(ctx.config.project_id, safe='')}{tail}"


def shaped(ctx: CaseContext, exchange: Exchange, kind: str, statuses: set[int]) -> Any:
    """The JSON of an answer with one of these statuses that validates as `kind`."""
    ctx.check(
        exchange.status in statuses,
        f"{exchange.describe()}: expected {' or '.join(map(str, sorted(statuses)))}; "
        f"body: {exchange.response_body[:200]!r}",
    )
    body = exchange.json()
    problems = shapes.problems(kind, body)
    ctx.check(
        not problems,
        f"{exchange.describe()}: the body breaks schemas/{shapes.SCHEMA_FILES[kind]}: "
        f"{ordinal_list(problems)}",
    )
    return body


@dataclass(frozen=True)
class NewKey:
    """What creating a key returned; identifier and secret are None when the answer lacked them."""

    exchange: Exchange
    key_id: str | None
    secret: str | None
    label: str = ""
    """The comment (v2: label) the key was created with."""


async def create_key(ctx: CaseContext, tags: list[str] | None = None) -> NewKey:
    """POST a new key; its deletion and its secret's redaction are registered at once, even
    when the run is stopped while the request is in flight."""
    return await ctx.cleanups.making(_create(ctx, tags))


async def _create(ctx: CaseContext, tags: list[str] | None) -> NewKey:
    """POST a new key, redact its secret, and register its deletion."""
    label = unique("key")
    cost = ctx.client.cost
    cost.hold()  # the deletion the run will owe the target
    try:
        if legacy(ctx):
            exchange = await ctx.client.request(
                "POST", LEGACY_KEYS_PATH, json_body={"label": label}
            )
            id_field, secret_field = "key", "secret"
        else:
            body = {"comment": label, "scopes": KEY_SCOPES, "tags": tags or []}
            path = project_path(ctx, "/keys")
            exchange = await ctx.client.request("POST", path, json_body=body)
            id_field, secret_field = "api_key_id", "key"
    except BaseException:
        cost.unhold()
        raise
    try:
        document = exchange.json()
    except CheckFailed:
        document = None
    found = document if isinstance(document, dict) else {}
    key_id, secret = found.get(id_field), found.get(secret_field)
    if isinstance(secret, str) and secret:
        ctx.secret(secret, exchange)
    if isinstance(key_id, str) and key_id:
        client, authorization = ctx.client, ctx.config.credentials.authorization()

        async def undo() -> None:
            deleted = await _send_delete(ctx, client, key_id, authorization)
            if deleted.status != 404 and not 200 <= (deleted.status or 0) <= 299:
                raise CheckFailed(deleted.describe())

        ctx.cleanups.add(_undoing(key_id), undo)
    else:
        cost.unhold()
    return NewKey(
        exchange,
        key_id if isinstance(key_id, str) and key_id else None,
        secret if isinstance(secret, str) and secret else None,
        label,
    )


def _undoing(key_id: str) -> str:
    """What the run's cleanup names when it deletes a key."""
    return f"API key {key_id}"


def gone(ctx: CaseContext, key_id: str) -> None:
    """A key a case deleted and saw refused and unlisted: the run's cleanup leaves it, and the
    request held for its deletion is free again."""
    ctx.cleanups.done(_undoing(key_id))
    ctx.client.cost.unhold()


async def shared_key(ctx: CaseContext) -> NewKey:
    """The run's one key that the cases which only read a key share (created, listed, got,
    authenticating, calling back): a key no case deletes or tags."""
    made = await ctx.fixtures.shared(("key",), lambda: create_key(ctx))
    record(made.exchange)
    return made


async def usable_key(
    ctx: CaseContext, tags: list[str] | None = None, *, own: bool = False
) -> tuple[str, str]:
    """A key's (identifier, secret): the shared one, or with `own` (a case that deletes it) or
    tags a fresh one; blocked by KEYS-CREATE when there is none."""
    made = await create_key(ctx, tags) if own or tags else await shared_key(ctx)
    if made.exchange.status not in {200, 201} or made.key_id is None or made.secret is None:
        ctx.blocked(
            "KEYS-CREATE",
            f"no key could be created to test with ({made.exchange.describe()}, identifier "
            f"{'present' if made.key_id else 'missing'}, secret "
            f"{'present' if made.secret else 'missing'})",
        )
    return made.key_id, made.secret


async def _send_delete(
    ctx: CaseContext, client: TargetClient, key_id: str, authorization: str | None
) -> Exchange:
    """DELETE a key in the run's dialect, with the given client and Authorization (or none)."""
    if legacy(ctx):
        body: dict[str, str] = {"key": key_id}
        if ctx.config.project_id:
            body["project"] = ctx.config.project_id
        return await client.request(
            "DELETE", LEGACY_KEYS_PATH, json_body=body, authorization=authorization
        )
    path = project_path(ctx, f"/keys/{quote(key_id, safe='')}")
    return await client.request("DELETE", path, authorization=authorization)


async def delete_key(ctx: CaseContext, key_id: str) -> Exchange:
    """DELETE a key in the run's dialect, with the run's credentials."""
    return await _send_delete(ctx, ctx.client, key_id, ctx.config.credentials.authorization())


async def delete_as(ctx: CaseContext, key_id: str, authorization: str | None) -> Exchange:
    """DELETE a key with other credentials (or none), which the target must refuse."""
    return await _send_delete(ctx, ctx.client, key_id, authorization)


def deleted_status(ctx: CaseContext) -> set[int]:
    """What a successful delete answers: v1 200 (spec), legacy 204 (document 004)."""
    return {204} if legacy(ctx) else {200}


async def listed_keys(ctx: CaseContext) -> tuple[Exchange, list[str]]:
    """The key list and the identifiers in it."""
    if legacy(ctx):
        exchange = await ctx.client.request("GET", LEGACY_KEYS_PATH)
        body = shaped(ctx, exchange, "keys-legacy-list", {200})
        return exchange, [k["key"] for k in body["keys"]]
    exchange = await ctx.client.request("GET", project_path(ctx, "/keys"))
    body = shaped(ctx, exchange, "keys-list", {200})
    return exchange, [k["api_key"]["api_key_id"] for k in body["api_keys"]]


def key_authorization(ctx: CaseContext, key_id: str, secret: str) -> str:
    """How a created key authenticates: legacy Basic key:secret, else the run's scheme."""
    if legacy(ctx):
        return "Basic " + base64.b64encode(f"{key_id}:{secret}".encode()).decode()
    scheme = "Bearer" if ctx.config.credentials.scheme is AuthScheme.BEARER else "Token"
    return f"{scheme} {secret}"


async def listen_as(ctx: CaseContext, authorization: str | None, params: Params = ()) -> Exchange:
    """Transcribe the short phrase with these credentials and parameters."""
    clip = audio.phrase()
    return await ctx.client.request(
        "POST",
        LISTEN_PATH,
        params=params,
        content=clip.wav,
        content_type=clip.content_type,
        authorization=authorization,
    )


async def eventually(
    ctx: CaseContext, look: Callable[[], Awaitable[T]], enough: Callable[[T], bool]
) -> T:
    """Look again until `enough`, within the target's declared observation delay: request logs
    and usage are eventually consistent, and there is no event to wait on, only a resource to
    poll (pauses from timing.py, doubling)."""
    timing = ctx.config.timing
    deadline = time.monotonic() + timing.observation
    pause = timing.poll_first
    while True:
        seen = await look()
        left = deadline - time.monotonic()
        if enough(seen) or left <= 0:
            return seen
        await asyncio.sleep(min(pause, left))
        pause = min(pause * 2, timing.poll_most)


def request_tags(body: dict[str, Any]) -> list[str] | None:
    """response.details.tags of a request record, wrapped ({"request": ...}, the official
    spec) or bare (the SDKs and the Logs & Usage page): None while its response is not logged
    ("response": null, 'Pending' on the Logs & Usage page), [] when it is logged untagged."""
    record = body.get("request", body)
    response = record.get("response") if isinstance(record, dict) else None
    if not isinstance(response, dict):
        return None
    details = response.get("details")
    tags = details.get("tags") if isinstance(details, dict) else None
    return [str(tag) for tag in tags] if isinstance(tags, list) else []


async def logged_tags(ctx: CaseContext, request_id: str) -> list[str] | None:
    """The tags GET .../requests/{request_id} shows once the request has reached the log, looked
    at until they appear (None when the request was never logged within the window)."""
    path = project_path(ctx, f"/requests/{quote(request_id, safe='')}")

    async def look() -> list[str] | None:
        exchange = await ctx.client.request("GET", path)
        if exchange.status == 404:
            return None
        body = shaped(ctx, exchange, "request", {200})
        return request_tags(body)

    return await eventually(ctx, look, lambda tags: bool(tags))


async def usage_count(ctx: CaseContext, tag: str, expected: int) -> int:
    """How many requests GET .../usage?tag=TAG counts, looked at until it reaches `expected`
    (usage only grows, so more than expected is final at once)."""

    async def look() -> int:
        exchange = await ctx.client.request(
            "GET", project_path(ctx, "/usage"), params=[("tag", tag)]
        )
        body = shaped(ctx, exchange, "usage", {200})
        if "results" not in body:
            ctx.skip(
                f"{exchange.describe()}: the answer has no results, as the official "
                "UsageV1Response (start, end, resolution) has none: it carries no counts, so "
                "the tag filter cannot be observed in that shape"
            )
        return sum(int(r["requests"]) for r in items(body["results"], "results"))

    return await eventually(ctx, look, lambda count: count >= expected)
