"""Reading what a stream's messages say: fields (blocked by the requirement that judges their
shape when absent), words and endpoints."""

from __future__ import annotations

from typing import Any

from conformance.cases.kit.context import CaseContext
from conformance.cases.kit.streams import Plan, results
from conformance.cases.kit.walk import get, number, ordinal_list
from conformance.contract import shapes
from conformance.errors import Blocked, CheckFailed
from conformance.wire.stream import Message, Stream

SHAPES = {"Results": "STREAM-RESULTS-SCHEMA", "Metadata": "STREAM-METADATA"}
"""The requirement judging each message type's shape: a field missing from a message is
blocked by it (and this requirement's own failure when that one passes)."""


def field(message: Message, path: str, where: str) -> Any:
    """The value at a dotted path of a message (see walk.get), blocked by the requirement
    that judges the message's shape when it is absent, with `where` in front."""
    try:
        return get(message.body, path)
    except CheckFailed as missing:
        raise Blocked(SHAPES[str(message.type)], f"{where}: {missing}") from None


def words(message: Message) -> list[dict[str, Any]]:
    """The words of a Results' first alternative that have a numeric start and end (none when
    malformed: STREAM-RESULTS-SCHEMA says so)."""
    channel = message.body.get("channel")
    alternatives = channel.get("alternatives") if isinstance(channel, dict) else None
    first = alternatives[0] if isinstance(alternatives, list) and alternatives else None
    found = first.get("words") if isinstance(first, dict) else None
    listed = found if isinstance(found, list) else []
    return [w for w in listed if isinstance(w, dict) and _timed(w)]


def _timed(word: dict[str, Any]) -> bool:
    """Whether a word has a numeric start and end."""
    return all(
        isinstance(word.get(k), (int, float)) and not isinstance(word.get(k), bool)
        for k in ("start", "end")
    )


def endpoints(ctx: CaseContext, stream: Stream, plan: Plan) -> list[tuple[int, float]]:
    """The Results that close an endpoint before the end of the audio: (index, end) of each
    final with speech_final true ending earlier than the audio sent, by the duration tolerance
    (the flush at shutdown ends with the audio, and may say speech_final either way)."""
    audio_end = plan.source.duration
    tolerance = ctx.config.timing.duration_tolerance
    found = []
    for n, message in enumerate(results(stream)):
        where = f"Results {n}"
        if field(message, "is_final", where) is True and field(message, "speech_final", where):
            start = number(field(message, "start", where), f"Results {n}.start")
            length = number(field(message, "duration", where), f"Results {n}.duration")
            if start + length < audio_end - tolerance:
                found.append((n, round(start + length, 3)))
    return found


def check_shapes(ctx: CaseContext, what: str, messages: list[Message], kind: str) -> None:
    """Each message validates against the schema of its kind (schemas/<kind>.json)."""
    for n, message in enumerate(messages):
        problems = shapes.problems(kind, message.body)
        ctx.check(
            not problems,
            f"{what}: {message.type} {n} breaks schemas/{shapes.SCHEMA_FILES[kind]}: "
            f"{ordinal_list(problems)}",
        )
