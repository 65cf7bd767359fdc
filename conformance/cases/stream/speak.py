"""SPEAK: text to speech over WebSocket /v1/speak: the upgrade, Metadata, audio, Flush, Clear,
Close, the flush limit and bad input."""

from __future__ import annotations

import asyncio

from conformance.cases.kit.context import CaseContext
from conformance.cases.kit.reading import check_shapes
from conformance.cases.kit.registry import case
from conformance.cases.kit.speaking import (
    CLEARING,
    CLOSING,
    FAST,
    MULAW,
    SLOW,
    SPOKEN,
    TEXT,
    Script,
    audio_between,
    audio_bytes,
    connect_speak,
    index_of,
    played,
    shared,
)
from conformance.cases.kit.streams import ending
from conformance.cases.kit.walk import ordinal_list
from conformance.contract import shapes
from conformance.wire.http import record
from conformance.wire.stream import Stream

UNKNOWN_KEY = "Token conformance-unknown-key-0000"
FLUSHES = 21
"""One past the documented 20 Flush messages in 60 seconds."""


def _schema(ctx: CaseContext, what: str, stream: Stream, kind: str, schema: str) -> int:
    """Check every message of a type against its schema; where the first one is (-1: none)."""
    check_shapes(ctx, what, [m for m in stream.messages if not m.binary and m.type == kind], schema)
    first = index_of(stream, kind)
    return -1 if first is None else first


@case("SPEAK-STREAM-OPEN")
async def upgrade_accepted(ctx: CaseContext) -> None:
    """The upgrade with model, encoding and sample_rate (linear16 at 24 kHz, mu-law at 8 kHz)
    and the run's Authorization header is accepted (101)."""
    for script in (SPOKEN, MULAW):
        stream = await shared(ctx, script)
        ctx.check(
            stream.opened,
            f"{stream.exchange.describe()}: the upgrade with the run's credentials was refused; "
            f"body {stream.exchange.response_body[:200]!r}",
            on=stream.exchange,
        )


@case("SPEAK-STREAM-AUTH")
async def bad_credentials_refused(ctx: CaseContext) -> None:
    """Upgrades without credentials, or with an unknown key, are refused (no 101, or an error
    close before any audio)."""
    await played(ctx, SPOKEN)
    for auth, what in (("none", "without credentials"), (UNKNOWN_KEY, "with an unknown key")):
        stream = await _asked_to_speak(ctx, auth)
        refused = not stream.opened or (
            stream.close_code not in (None, 1000) and not stream.closed_by_suite
        )
        ctx.check(
            refused and not audio_between(stream, 0),
            f"{stream.exchange.describe()}: the upgrade {what} was accepted and served "
            f"({audio_bytes(audio_between(stream, 0))} bytes of audio; {ending(stream)})",
            on=stream.exchange,
        )


async def _asked_to_speak(ctx: CaseContext, auth: str) -> Stream:
    """A socket opened as `auth` says; if it opens, asked to speak until audio or a close."""
    stream = await connect_speak(ctx, SPOKEN.params, auth=auth)
    if stream.opened:
        await stream.send_json({"type": "Speak", "text": TEXT})
        await stream.send_json({"type": "Flush"})
        await stream.wait_for(lambda: bool(audio_between(stream, 0)), _wait(ctx))
        await stream.aclose()
    return stream


def _wait(ctx: CaseContext) -> float:
    """How long a reply to one message may take."""
    return ctx.config.timing.stream_message


@case("SPEAK-STREAM-METADATA-FIRST")
async def metadata_first(ctx: CaseContext) -> None:
    """The first message of a speak socket is a Metadata with request_id, model_name,
    model_version and model_uuid."""
    stream = await played(ctx, SPOKEN)
    first = stream.messages[0] if stream.messages else None
    ctx.check(
        first is not None and not first.binary and first.type == "Metadata",
        f"{SPOKEN.describe()}: the first message was "
        f"{'none' if first is None else 'audio' if first.binary else repr(first.type)}, "
        "not a Metadata",
    )
    assert first is not None
    problems = shapes.problems("speak-metadata", first.body)
    ctx.check(
        not problems,
        f"{SPOKEN.describe()}: the Metadata breaks schemas/speak-metadata.json: "
        f"{ordinal_list(problems)}",
    )


@case("SPEAK-STREAM-AUDIO")
async def flush_brings_audio(ctx: CaseContext) -> None:
    """Speak then Flush brings binary audio frames (linear16: whole 16-bit samples)."""
    for script in (SPOKEN, MULAW):
        stream = await played(ctx, script)
        size = audio_bytes(audio_between(stream, 0))
        ctx.check(size > 0, f"{script.describe()}: no audio came ({ending(stream)})")
        ctx.check(
            script.encoding != "linear16" or size % 2 == 0,
            f"{script.describe()}: {size} bytes of linear16 audio, not whole 16-bit samples",
        )


def _require_audio(ctx: CaseContext, script: Script, stream: Stream) -> None:
    """Blocked by SPEAK-STREAM-AUDIO when the socket never spoke."""
    if not audio_between(stream, 0):
        ctx.blocked("SPEAK-STREAM-AUDIO", f"{script.describe()}: no audio came")


@case("SPEAK-STREAM-SPEED")
async def speed_accepted(ctx: CaseContext) -> None:
    """speed at the ends of its documented range (0.7, 1.5) is accepted on the socket and the
    text is spoken; how fast is not judged."""
    _require_audio(ctx, SPOKEN, await played(ctx, SPOKEN))
    for script in (SLOW, FAST):
        stream = await played(ctx, script)
        ctx.check(
            stream.opened,
            f"{stream.exchange.describe()}: the upgrade with speed={script.speed} was refused; "
            f"body {stream.exchange.response_body[:200]!r}",
            on=stream.exchange,
        )
        ctx.check(
            audio_bytes(audio_between(stream, 0)) > 0,
            f"{script.describe()}: no audio came ({ending(stream)})",
        )


@case("SPEAK-STREAM-FLUSHED")
async def flushed_after_the_audio(ctx: CaseContext) -> None:
    """Flush is answered with Flushed {sequence_id}, after the audio of the text before it."""
    stream = await played(ctx, SPOKEN)
    _require_audio(ctx, SPOKEN, stream)
    at = _schema(ctx, SPOKEN.describe(), stream, "Flushed", "speak-flushed")
    ctx.check(at >= 0, f"{SPOKEN.describe()}: no Flushed came ({ending(stream)})")
    later = audio_bytes(audio_between(stream, at + 1))
    ctx.check(
        not later,
        f"{SPOKEN.describe()}: {later} bytes of audio came after the Flushed; the Flushed "
        "says the audio of the text before the Flush has all been sent",
    )


@case("SPEAK-STREAM-CLEARED")
async def clear_acknowledged(ctx: CaseContext) -> None:
    """Clear is answered with Cleared {sequence_id}."""
    stream = await played(ctx, CLEARING)
    at = _schema(ctx, CLEARING.describe(), stream, "Cleared", "speak-cleared")
    ctx.check(at >= 0, f"{CLEARING.describe()}: no Cleared came ({ending(stream)})")


@case("SPEAK-STREAM-CLEAR-STOPS")
async def cleared_text_not_spoken(ctx: CaseContext) -> None:
    """After Cleared, no audio of the cleared text comes: a Flush right after it brings none,
    and text sent after it is spoken as usual."""
    stream = await played(ctx, CLEARING)
    cleared = index_of(stream, "Cleared")
    if cleared is None:
        ctx.blocked("SPEAK-STREAM-CLEARED", f"{CLEARING.describe()}: no Cleared came")
    first, second = index_of(stream, "Flushed"), index_of(stream, "Flushed", 1)
    if first is None or second is None or first < cleared:
        ctx.blocked("SPEAK-STREAM-FLUSHED", f"{CLEARING.describe()}: no Flushed after Cleared")
    if not audio_between(stream, first + 1, second):
        ctx.blocked("SPEAK-STREAM-AUDIO", f"{CLEARING.describe()}: the new text was not spoken")
    spoken = audio_bytes(audio_between(stream, cleared + 1, first))
    ctx.check(
        not spoken,
        f"{CLEARING.describe()}: {spoken} bytes of audio came after the Cleared and before the "
        "next Flushed, with no text sent in between: the cleared text was spoken",
    )


@case("SPEAK-STREAM-CLOSE")
async def close_ends_with_1000(ctx: CaseContext) -> None:
    """Close (after Speak) ends the socket with close code 1000."""
    stream = await played(ctx, CLOSING)
    ctx.check(
        stream.close_code == 1000 and not stream.closed_by_suite,
        f"{CLOSING.describe()}: after Close the socket ended so: {ending(stream)}; the Close "
        "page shows 1000 Normal Closure",
    )


@case("SPEAK-STREAM-CLOSE-FLUSH")
async def close_speaks_the_buffer(ctx: CaseContext) -> None:
    """Close after Speak, with no Flush, speaks the text before the socket closes."""
    stream = await played(ctx, CLOSING)
    spoken = await played(ctx, SPOKEN)
    _require_audio(ctx, SPOKEN, spoken)
    ctx.check(
        bool(audio_between(stream, 0)),
        f"{CLOSING.describe()}: no audio came before the socket closed ({ending(stream)}); "
        "the AsyncAPI's Close flushes the buffer and closes after all audio is generated",
    )


@case("SPEAK-STREAM-FLUSH-LIMIT")
async def flush_limit_warned(ctx: CaseContext) -> None:
    """The 21st Flush within 60 s brings a Warning {description, code}."""
    await played(ctx, SPOKEN)
    stream = await connect_speak(ctx, SPOKEN.params)
    try:
        for _ in range(FLUSHES):
            await stream.send_json({"type": "Speak", "text": "Hi."})
            await stream.send_json({"type": "Flush"})
        await stream.wait_for(
            lambda: bool(stream.of_type("Warning")) or len(stream.of_type("Flushed")) >= FLUSHES,
            _wait(ctx),
        )
    finally:
        await stream.aclose()
    record(stream.exchange)
    flushed = len(stream.of_type("Flushed"))
    if not stream.of_type("Warning") and flushed < FLUSHES - 1:
        ctx.blocked("SPEAK-STREAM-FLUSHED", f"only {flushed} of {FLUSHES} Flush were answered")
    at = _schema(ctx, "the flushing socket", stream, "Warning", "speak-warning")
    ctx.check(
        at >= 0,
        f"{FLUSHES} Flush messages in a few seconds were answered with {flushed} Flushed and "
        "no Warning; the Flush page: at most 20 every 60 seconds, then a warning",
    )


BAD_INPUTS: dict[str, str | bytes] = {
    "a text frame that is not JSON": "this is not JSON",
    "a message of an unknown type": '{"type": "Conformance"}',
    "a binary frame": b"\x00\x01\x02\x03",
}


def _answer_window(ctx: CaseContext) -> float:
    """How long an answer to a bad frame is awaited: within the message deadline, and well
    before the target's idle timeout (whose close would answer nothing)."""
    return min(_wait(ctx), ctx.config.stream_idle_timeout / 2)


async def _probe(ctx: CaseContext, frame: str | bytes) -> tuple[Stream, float]:
    """A socket of its own: wait for the Metadata, send one bad frame, wait for an answer; the
    socket and when the frame was sent."""
    stream = await connect_speak(ctx, SPOKEN.params)
    sent = 0.0
    try:
        await stream.wait_for(lambda: bool(stream.messages), _wait(ctx))
        before, sent = len(stream.messages), stream.now()
        if isinstance(frame, bytes):
            await stream.send_bytes(frame)
        else:
            await stream.send_text(frame)
        await stream.wait_for(lambda: len(stream.messages) > before, _answer_window(ctx))
    finally:
        await stream.aclose()
    return stream, sent


@case("SPEAK-STREAM-BAD-INPUT")
async def bad_input_answered(ctx: CaseContext) -> None:
    """A non-JSON text frame, an unknown type and a binary frame are each answered with a
    Warning or an error close, not left unanswered."""
    await played(ctx, SPOKEN)
    probes = await asyncio.gather(*(_probe(ctx, frame) for frame in BAD_INPUTS.values()))
    silent = []
    window = _answer_window(ctx)
    for what, (stream, sent) in zip(BAD_INPUTS, probes, strict=True):
        record(stream.exchange)
        warned = _schema(ctx, f"after {what}", stream, "Warning", "speak-warning") >= 0
        closed = stream.closed_at is not None and not stream.closed_by_suite
        if not (warned or (closed and (stream.closed_at or 0.0) - sent <= window)):
            silent.append(f"{what} ({ending(stream)})")
            ctx.reproducer = stream.reproducer()
    ctx.check(
        not silent,
        f"no Warning and no close within {window:g} s after {ordinal_list(silent)}; the "
        "docs answer bad input with a Warning or a close frame that says why",
    )
