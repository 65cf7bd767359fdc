"""The upgrade's own headers (the changelog of 2022-11-08): an accepted socket's dg-request-id
names its request as its messages' request_id does; a refused one carries dg-request-id and the
reason in dg-error, where a browser's WebSocket shows no body."""

from __future__ import annotations

import uuid
from typing import Any

from conformance.cases.kit.context import CaseContext, body_request_id
from conformance.cases.kit.registry import case
from conformance.cases.kit.speaking import SPOKEN, index_of, played
from conformance.cases.kit.streams import CLOSED, error_closed, opened, require_route, results
from conformance.cases.stream.messages import bad_credentials
from conformance.wire.stream import Stream

REQUEST_ID = "dg-request-id"
ERROR = "dg-error"


def _uuid(value: str | None) -> bool:
    """Whether value is a UUID (any version: the live ids include UUIDv7)."""
    try:
        uuid.UUID(value or "")
    except ValueError:
        return False
    return True


def _named_as(ctx: CaseContext, what: str, stream: Stream, ids: set[str], blocker: str) -> None:
    """The accepted upgrade's dg-request-id is a UUID and the one request_id its messages
    carry (`ids`; blocked by `blocker` when they carry none)."""
    named = stream.exchange.response_headers.get(REQUEST_ID)
    ctx.check(
        _uuid(named),
        f"{what}: the 101 upgrade's {REQUEST_ID} is {named!r}, expected the request's UUID",
        on=stream.exchange,
    )
    if not ids:
        ctx.blocked(blocker, f"{what}: no message carried a request_id")
    ctx.check(
        named in ids,
        f"{what}: the upgrade's {REQUEST_ID} is {named}, its messages' request_id "
        f"{ids.pop()}: one socket, two ids",
        on=stream.exchange,
    )


def _ids(messages: list[Any], key: str) -> set[str]:
    """The request_ids the messages carry at `key` (a dotted path)."""
    found = set()
    for message in messages:
        value: Any = message.body
        for part in key.split("."):
            value = value.get(part) if isinstance(value, dict) else None
        if isinstance(value, str):
            found.add(value)
    return found


@case("STREAM-REQUEST-ID-UPGRADE")
async def listen_upgrade_named(ctx: CaseContext) -> None:
    """An accepted /v1/listen upgrade carries dg-request-id, the stream's request_id."""
    stream = await opened(ctx, CLOSED)
    ids = _ids(stream.of_type("Metadata"), "request_id")
    ids |= _ids(results(stream), "metadata.request_id")
    if len(ids) > 1:
        ctx.blocked("STREAM-REQUEST-ID", f"{CLOSED.describe()}: its messages name {len(ids)} ids")
    _named_as(ctx, CLOSED.describe(), stream, ids, "STREAM-METADATA")


@case("SPEAK-STREAM-REQUEST-ID-UPGRADE")
async def speak_upgrade_named(ctx: CaseContext) -> None:
    """An accepted /v1/speak upgrade carries dg-request-id, its Metadata's request_id."""
    stream = await played(ctx, SPOKEN)
    first = index_of(stream, "Metadata")
    ids = _ids([stream.messages[first]], "request_id") if first is not None else set()
    _named_as(ctx, SPOKEN.describe(), stream, ids, "SPEAK-STREAM-METADATA-FIRST")


@case("STREAM-UPGRADE-REFUSAL-HEADERS")
async def refusal_named_and_explained(ctx: CaseContext) -> None:
    """A refused /v1/listen upgrade (no credentials, an unknown key) carries dg-request-id,
    the body's request_id where the body has one, and a dg-error saying why."""
    await require_route(ctx)
    probes = await bad_credentials(ctx)
    refused = [(what, stream) for what, stream in probes if not stream.opened]
    if not refused:
        if any(not error_closed(stream) for _, stream in probes):
            ctx.blocked("STREAM-AUTH-REFUSED", "a bad-credential upgrade was accepted and served")
        ctx.skip("the bad-credential upgrades were accepted, then closed: no refusal to read")
    for what, stream in refused:
        exchange = stream.exchange
        headers = exchange.response_headers
        named, body_id = headers.get(REQUEST_ID), body_request_id(exchange)
        ctx.check(
            bool(named) and body_id in (None, named),
            f"{exchange.describe()}: the upgrade {what} was refused with {REQUEST_ID} "
            f"{named!r}" + (f"; the body's request_id is {body_id!r}" if body_id else ""),
            on=exchange,
        )
        ctx.check(
            bool(headers.get(ERROR, "").strip()),
            f"{exchange.describe()}: the upgrade {what} was refused without a {ERROR} header "
            "saying why",
            on=exchange,
        )
