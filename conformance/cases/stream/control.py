"""STREAM control: KeepAlive, Finalize, the shutdown sequence and the idle timeout."""

from __future__ import annotations

import functools

from conformance.cases.kit.context import CaseContext
from conformance.cases.kit.registry import case
from conformance.cases.kit.streams import (
    CLOSED,
    DROPPED,
    EMPTIED,
    INCOMPLETE,
    SILENT,
    Plan,
    live,
    not_ended_by_metadata,
    opened,
    require_typed,
    results,
    shut_down_plays,
    timeline,
)
from conformance.cases.kit.walk import number
from conformance.wire.stream import Message, Stream


def _shutdown_problem(ctx: CaseContext, stream: Stream, request: str) -> str | None:
    """Why this stream did not end by its shutdown request, or None when it did."""
    deadline = ctx.config.timing.stream_end
    if stream.closed_at is None or stream.closed_by_suite:
        return f"the stream was still open {deadline:g} s after {request} ({timeline(stream)})"
    assert stream.shutdown_at is not None
    took = stream.closed_at - stream.shutdown_at
    if took < 0:
        return f"the stream ended before {request} could be sent ({timeline(stream)})"
    if stream.close_code == DROPPED:
        return f"{took:.2f} s after {request} the target dropped the stream ({timeline(stream)})"
    if took > deadline:
        return f"the stream closed {took:.2f} s after {request}; the deadline is {deadline:g} s"
    if any(m.body.get("sha256") == INCOMPLETE for m in stream.of_type("Metadata")):
        return (
            f"the stream ended as an idle stream (Metadata sha256 {INCOMPLETE!r}), so {request} "
            f"was not taken as a shutdown request ({timeline(stream)})"
        )
    return None


async def _ended_by_request(ctx: CaseContext, plan: Plan, request: str) -> None:
    """The plan's stream ended by its shutdown request, within the deadline."""
    stream = await opened(ctx, plan)
    problem = _shutdown_problem(ctx, stream, request)
    ctx.check(problem is None, f"{plan.describe()}: {problem}")


@case("STREAM-SHUTDOWN-EMPTY-FRAME")
async def empty_frame_ends_stream(ctx: CaseContext) -> None:
    """After an empty binary frame the server finishes and closes, within the deadline."""
    await _ended_by_request(ctx, EMPTIED, "the empty binary frame")


@case("STREAM-SHUTDOWN-CLOSESTREAM")
async def closestream_ends_stream(ctx: CaseContext) -> None:
    """After {"type": "CloseStream"} the server finishes and closes, within the deadline."""
    await _ended_by_request(ctx, CLOSED, "CloseStream")


@case("STREAM-SHUTDOWN-SEQUENCE")
async def finals_then_one_metadata(ctx: CaseContext) -> None:
    """The remaining finals, then exactly one Metadata, then nothing."""
    tolerance = ctx.config.timing.duration_tolerance
    for plan, stream in await shut_down_plays(ctx):
        what = plan.describe()
        unended = not_ended_by_metadata(stream)
        ctx.check(unended is None, f"{what}: {unended} ({timeline(stream)})")
        metas = [f"{m.at:.2f} s" for m in stream.messages if m.type == "Metadata"]
        ctx.check(
            len(metas) == 1,
            f"{what}: {len(metas)} Metadata messages (at {', '.join(metas)}); expected one, "
            f"the last message ({timeline(stream)})",
        )
        finals = [m for m in results(stream) if m.body.get("is_final") is True]
        ctx.check(bool(finals), f"{what}: no final Results before the Metadata")
        last = finals[-1].body
        end = number(last.get("start"), "start") + number(last.get("duration"), "duration")
        sent = len(stream.audio_sent) / plan.source.bytes_per_second
        ctx.check(
            end >= sent - tolerance,
            f"{what}: the last final Results ends at {end:g} s, but {sent:g} s of audio were "
            f"sent: the remaining audio was not finalised before the Metadata",
        )


@case("STREAM-SHUTDOWN-CODE")
async def normal_close_code(ctx: CaseContext) -> None:
    """A stream ended by the client's request closes with code 1000."""
    for plan, stream in await shut_down_plays(ctx):
        ctx.check(
            stream.close_code == 1000,
            f"{plan.describe()}: closed with code {stream.close_code} "
            f"{stream.close_reason!r}; expected 1000",
        )


@case("STREAM-EMPTY")
async def no_audio_still_metadata(ctx: CaseContext) -> None:
    """A stream that sent no audio still ends with a Metadata message."""
    stream = await opened(ctx, SILENT)
    unended = not_ended_by_metadata(stream)
    ctx.check(unended is None, f"{SILENT.describe()}: {unended} ({timeline(stream)})")


# ------------------------------------------------------------------------------ control frames


@case("STREAM-KEEPALIVE")
async def keepalive_keeps_stream_open(ctx: CaseContext) -> None:
    """KeepAlive every third of the idle timeout keeps a silent stream open past it, unanswered."""
    idle = ctx.config.stream_idle_timeout
    async with live(ctx, seconds=0.5) as stream:
        began = stream.now()
        heard = len(stream.messages)
        while stream.now() - began < idle * (1 + ctx.config.timing.idle_tolerance):
            await stream.send_json({"type": "KeepAlive"})
            stream.note_idle(idle / 3)
            if await stream.wait_closed(idle / 3):
                ctx.fail(
                    f"the stream closed {stream.now() - began:.2f} s into a silence kept alive "
                    f"by KeepAlive every {idle / 3:.2f} s (idle timeout {idle:g} s): "
                    f"{timeline(stream)}"
                )
        replies = [m for m in stream.messages[heard:] if m.type not in ("Results",)]
        ctx.check(
            not replies,
            f"KeepAlive was answered: {replies[0].type if replies else ''} ({timeline(stream)})",
        )


BUFFERED = 1.0
"""Seconds of speech sent before each Finalize: the Finalize page guarantees no flush 'if there
is no significant amount of audio data to process', so the suite always gives it some."""


def _flushes(stream: Stream) -> list[Message]:
    """The Results a Finalize brought (from_finalize true)."""
    return [m for m in results(stream) if m.body.get("from_finalize") is True]


def _flushed(stream: Stream, count: int) -> bool:
    """Whether `count` Finalize flushes have come."""
    return len(_flushes(stream)) >= count


@case("STREAM-FINALIZE")
async def finalize_keeps_stream_open(ctx: CaseContext) -> None:
    """After Finalize (and its flush, if one comes) the stream stays open: a KeepAlive, then
    more audio and a second Finalize, do not end it."""
    timing = ctx.config.timing
    async with live(ctx, seconds=BUFFERED) as stream:
        await stream.send_json({"type": "Finalize"})
        # Its flush, if one comes, before the stream would idle out (a close after a flush
        # must be seen as one): the flush itself is STREAM-FINALIZE-FLUSH's.
        quiet = min(timing.stream_message, ctx.config.stream_idle_timeout / 3)
        await stream.wait_for(lambda: bool(_flushes(stream)), quiet)
        require_typed(ctx, CLOSED, stream)
        await stream.send_json({"type": "KeepAlive"})
        stream.note_idle(timing.stream_latency)
        since = stream.now()
        await stream.wait_closed(timing.stream_latency)
        _still_open(
            ctx, stream, f"within {timing.stream_latency:g} s of a KeepAlive after it", since
        )
        more = BUFFERED / 2  # the stream is judged, not the flush: a short stream suffices
        await stream.send_audio(CLOSED.source, ctx.config.pace, seconds=more)
        await stream.send_json({"type": "Finalize"})
        since = stream.now()
        await stream.wait_closed(timing.stream_latency)
        _still_open(ctx, stream, f"after {more:g} s more audio and a second Finalize", since)


@case("STREAM-FINALIZE-FLUSH")
async def finalize_flushes(ctx: CaseContext) -> None:
    """With speech buffered, each Finalize brings a final Results with from_finalize true."""
    deadline = ctx.config.timing.stream_message
    async with live(ctx, seconds=BUFFERED) as stream:
        for n in (1, 2):
            if n == 2:
                await stream.send_audio(CLOSED.source, ctx.config.pace, seconds=BUFFERED)
            await stream.send_json({"type": "Finalize"})
            flushed = await stream.wait_for(functools.partial(_flushed, stream, n), deadline)
            if not flushed and stream.closed_at is not None:
                ctx.blocked(
                    "STREAM-FINALIZE",
                    f"the stream ended before Finalize {n} could flush ({timeline(stream)})",
                )
            if not flushed:
                require_typed(ctx, CLOSED, stream)
            ctx.check(
                flushed,
                f"Finalize {n}, after {BUFFERED:g} s of speech: no Results with from_finalize "
                f"true within {deadline:g} s ({timeline(stream)})",
            )
            flush = _flushes(stream)[n - 1]
            ctx.check(
                flush.body.get("is_final") is True,
                f"the from_finalize Results of Finalize {n} has is_final "
                f"{flush.body.get('is_final')!r}",
            )


def _still_open(ctx: CaseContext, stream: Stream, when: str, since: float) -> None:
    """Fail if the target closed the stream, or ended it with a Metadata, within the latency
    window from `since` (a Metadata before any Results, at connect, ends nothing:
    STREAM-SHUTDOWN-SEQUENCE's). What came after the window, read late by a starved suite, is
    the idle timeout's of the silence that followed (STREAM-IDLE-TIMEOUT's), not Finalize's."""
    until = since + ctx.config.timing.stream_latency
    first_results = next((m.at for m in results(stream)), None)
    ended = [
        m
        for m in stream.of_type("Metadata")
        if (first_results is None or m.at > first_results) and m.at <= until
    ]
    closed = stream.closed_at is not None and stream.closed_at <= until
    ctx.check(
        not closed and not ended,
        f"the stream ended after Finalize ({when}: {timeline(stream)}); it should stay open",
    )


@case("STREAM-IDLE-TIMEOUT")
async def idle_stream_ended(ctx: CaseContext) -> None:
    """With no frames for the declared idle timeout: Metadata sha256 "incomplete", close 1011."""
    idle = ctx.config.stream_idle_timeout
    tolerance = ctx.config.timing.idle_tolerance
    async with live(ctx, seconds=0.5) as stream:
        silent_from = stream.now()
        latest = idle * (1 + tolerance) + ctx.config.timing.stream_latency
        stream.note_idle(latest)
        ctx.check(
            await stream.wait_closed(latest),
            f"the stream was still open {latest:g} s after its last frame "
            f"(declared idle timeout {idle:g} s, --stream-idle-timeout)",
        )
        assert stream.closed_at is not None
        took = stream.closed_at - silent_from
        ctx.check(
            took >= idle * (1 - tolerance),
            f"the stream closed {took:.2f} s after its last frame, well before the declared "
            f"idle timeout of {idle:g} s",
        )
        metas = stream.of_type("Metadata")
        if not metas:
            require_typed(ctx, CLOSED, stream)
        ctx.check(
            bool(metas) and metas[-1].body.get("sha256") == INCOMPLETE,
            f"the idle stream should end with a Metadata whose sha256 is {INCOMPLETE!r} "
            f"({timeline(stream)})",
        )
        ctx.check(
            stream.close_code == 1011,
            f"the idle stream closed with {stream.close_code} {stream.close_reason!r}; "
            "expected 1011",
        )
