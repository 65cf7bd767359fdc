"""What the PROJECTS cases share: answers valid against this area's schemas, the run's date
range, and a tagged transcription to look for."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

import jsonschema

from conformance.cases.kit.context import CaseContext, expect_transcription
from conformance.cases.kit.walk import get, ordinal_list
from conformance.contract.catalogue import read_schema_file
from conformance.wire import audio
from conformance.wire.http import Exchange, Params

PAST = [("start", "2000-01-01"), ("end", "2000-01-02")]
"""A range no request of the run can fall in."""


@cache
def _validator(schema_file: str) -> jsonschema.protocols.Validator:
    """A compiled validator of one of the schemas/*.json files of this area."""
    schema = json.loads(read_schema_file(schema_file))
    return jsonschema.Draft202012Validator(schema)


def conforming(ctx: CaseContext, exchange: Exchange, schema_file: str) -> Any:
    """The JSON of a 200 answer valid against schemas/SCHEMA_FILE, else the case fails."""
    ctx.check(
        exchange.status == 200,
        f"{exchange.describe()}: expected 200; body {exchange.response_body[:200]!r}",
        on=exchange,
    )
    body = exchange.json()
    lines = schema_errors(schema_file, body)
    ctx.check(
        not lines,
        f"{exchange.describe()}: the body breaks schemas/{schema_file}: {ordinal_list(lines)}",
        on=exchange,
    )
    return body


def recent() -> Params:
    """start yesterday, end tomorrow (UTC): a range holding every request of the run."""
    today = datetime.now(UTC).date()
    return [
        ("start", (today - timedelta(days=1)).isoformat()),
        ("end", (today + timedelta(days=1)).isoformat()),
    ]


async def tagged(ctx: CaseContext, tag: str) -> str:
    """Transcribe the mono clip with one tag; its request id."""
    exchange = await ctx.transcribe(audio.phrase(), [("tag", tag)])
    request_id = get(expect_transcription(exchange), "metadata.request_id")
    ctx.check(
        isinstance(request_id, str) and request_id != "",
        f"{exchange.describe()}: metadata.request_id is {request_id!r}",
    )
    return str(request_id)


def schema_errors(schema_file: str, body: Any) -> list[str]:
    """Where a body breaks schemas/SCHEMA_FILE, one line each."""
    errors = sorted(_validator(schema_file).iter_errors(body), key=lambda e: list(e.path))
    return [f"{'.'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}" for e in errors]
