"""What the STREAM cases share: planned streams played once per run, and reading their replies."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass
from typing import Literal

from conformance.cases.kit.context import LISTEN_PATH, CaseContext
from conformance.wire.codecs import StreamAudio, stream_audio, with_silence
from conformance.wire.http import record
from conformance.wire.stream import Auth, Message, Stream, open_stream

DROPPED = 1006
"""The close code a client sees when the connection ends without a close frame."""
INCOMPLETE = "incomplete"
"""The Metadata sha256 of a stream that ended without a shutdown request (idle timeout)."""


@dataclass(frozen=True)
class Plan:
    """A stream the suite plays: which audio, which extra parameters, how it ends."""

    clip: str = "mono"
    encoding: str = "linear16"
    rate: int = 16_000
    params: tuple[tuple[str, str], ...] = ()
    ending: Literal["close", "empty"] = "close"
    audio: bool = True
    tail: float = 0.0
    """Seconds of silence sent after the clip."""

    @property
    def source(self) -> StreamAudio:
        """The raw audio this plan sends."""
        audio = stream_audio(self.clip, self.encoding, self.rate)
        return with_silence(audio, self.tail) if self.tail else audio

    def describe(self) -> str:
        """A short name for messages: audio format, parameters and ending."""
        audio = self.source
        what = f"{audio.channels}-channel {self.encoding} at {self.rate} Hz" if self.audio else ""
        what += f" with {self.tail:g} s of silence after the clip" if what and self.tail else ""
        params = "&".join(f"{k}={v}" for k, v in self.params)
        end = "CloseStream" if self.ending == "close" else "an empty binary frame"
        parts = [what or "no audio", params, f"ended with {end}"]
        return "stream of " + ", ".join(p for p in parts if p)


CLOSED = Plan(params=(("interim_results", "false"),))
"""The canonical stream: mono linear16 at 16 kHz, no interims, ended by CloseStream."""
EMPTIED = Plan(params=(("interim_results", "true"),), ending="empty")
"""Interims on, ended by the empty binary frame (document 004's shutdown)."""
INTERIMS = Plan(params=(("interim_results", "true"),))
"""Interims on, ended by CloseStream (the current API's shutdown)."""
EXTRA = Plan(rate=8_000, params=(("extra", "suite:stream"), ("extra", "run:conformance")))
"""linear16 at 8 kHz with two extra pairs: STREAM-EXTRA reads the echo, the format cases the rest
(extra changes nothing else a stream sends)."""
FORMATS = (
    CLOSED,
    EXTRA,
    Plan(encoding="mulaw", rate=8_000),
    Plan(encoding="mulaw", rate=16_000),
)
"""linear16 and mulaw at 8 and 16 kHz (mono)."""
STEREO = tuple(
    Plan(clip="stereo", encoding=encoding, rate=rate, params=(("multichannel", "true"),))
    for encoding, rate in (("linear16", 16_000), ("linear16", 8_000), ("mulaw", 8_000))
)
"""Stereo with multichannel=true: linear16 at 16 and 8 kHz, mulaw at 8 kHz."""
SILENT = Plan(audio=False)
CONTENT = (*FORMATS, INTERIMS, *STEREO)
"""Every stream with audio: the message-level requirements hold in each."""


def interims_plan(ctx: CaseContext) -> Plan:
    """The stream with interims, ended as the run's dialect ends streams: the empty frame under
    v2 (document 004), CloseStream under v1 (the empty frame is deprecated there)."""
    return EMPTIED if ctx.config.dialect == "v2" else INTERIMS


def shutdowns(ctx: CaseContext) -> tuple[Plan, Plan]:
    """The streams whose shutdown sequence is judged: the canonical one and the interims one."""
    return (CLOSED, interims_plan(ctx))


async def connect(
    ctx: CaseContext,
    params: Sequence[tuple[str, str]],
    auth: Auth = "header",
    path: str = LISTEN_PATH,
) -> Stream:
    """Open a stream to the target (/v1/listen unless `path` says) with the run's credentials
    (or as `auth` says)."""
    config = ctx.config
    stream = await open_stream(
        config.ws_target,
        path,
        params,
        authorization=config.credentials.authorization(),
        api_key=config.credentials.api_key,
        auth=auth,
        redactor=ctx.redactor,
        deadline=config.timing.connect,
        close_deadline=config.timing.shutdown,
    )
    ctx.reproducer = stream.reproducer()
    return stream


async def play(ctx: CaseContext, plan: Plan) -> Stream:
    """Open, send the audio at the run's pace, end the stream and collect until it closes."""
    audio = plan.source
    stream = await connect(ctx, (*audio.params, *plan.params))
    if not stream.opened:
        return stream
    if plan.audio:
        await stream.send_audio(audio, ctx.config.pace)
    stream.shutdown_at = stream.now()
    if plan.ending == "close":
        await stream.send_json({"type": "CloseStream"})
    else:
        await stream.send_empty()
    await stream.wait_closed(ctx.config.timing.stream_end)
    await stream.aclose()
    return stream


async def played(ctx: CaseContext, plan: Plan) -> Stream:
    """The run's one playing of this plan (shared by every case that reads it), as evidence."""
    stream = await ctx.fixtures.shared(("stream", plan), lambda: play(ctx, plan))
    record(stream.exchange)
    ctx.reproducer = stream.reproducer()
    return stream


@contextlib.asynccontextmanager
async def live(ctx: CaseContext, seconds: float) -> AsyncIterator[Stream]:
    """A stream of the case's own (mono linear16, no interims) that has sent `seconds` of audio;
    closed from our side when the block ends."""
    stream = await connect(ctx, (*CLOSED.source.params, *CLOSED.params))
    require_open(ctx, stream)
    try:
        await stream.send_audio(CLOSED.source, ctx.config.pace, seconds=seconds)
        yield stream
    finally:
        await stream.aclose()


async def opened(ctx: CaseContext, plan: Plan) -> Stream:
    """The run's playing of this plan, which must have opened (see require_open) and sent
    readable messages (see require_typed)."""
    stream = await played(ctx, plan)
    require_open(ctx, stream)
    require_typed(ctx, plan, stream)
    return stream


async def played_all(
    ctx: CaseContext, plans: Sequence[Plan], *, typed: bool = True
) -> Iterator[tuple[Plan, Stream]]:
    """Several plans at once; the streams that opened, each with its plan (blocked by
    STREAM-MESSAGES-JSON, unless `typed` is False, when a message is not typed JSON), in turn
    (see in_turn)."""
    streams = await asyncio.gather(*(played(ctx, plan) for plan in plans))
    opened = [(plan, stream) for plan, stream in zip(plans, streams, strict=True) if stream.opened]
    if not opened:
        require_open(ctx, streams[0])
    if typed:
        for plan, stream in opened:
            require_typed(ctx, plan, stream)
    return in_turn(ctx, opened)


def in_turn(
    ctx: CaseContext, opened: Sequence[tuple[Plan, Stream]]
) -> Iterator[tuple[Plan, Stream]]:
    """Each stream as the case judges it, its replay the case's reproducer meanwhile: a failure
    names the stream it describes, and the reproducer replays that stream, not the last played."""
    for plan, stream in opened:
        ctx.reproducer = stream.reproducer()
        yield plan, stream


def untyped(stream: Stream) -> list[str]:
    """Where the stream's messages are not JSON objects with a type, in words."""
    return [
        f"message {n} at {m.at:.2f} s: "
        + ("a binary frame" if m.binary else "not a JSON object with a type")
        for n, m in enumerate(stream.messages)
        if m.binary or not isinstance(m.type, str)
    ]


def require_typed(ctx: CaseContext, plan: Plan, stream: Stream) -> None:
    """Blocked by STREAM-MESSAGES-JSON when a message cannot be read by its type: a check of
    what the messages say cannot be judged on messages the suite cannot read."""
    bad = untyped(stream)
    if bad:
        ctx.blocked(
            "STREAM-MESSAGES-JSON",
            f"{plan.describe()}: {len(bad)} messages cannot be read: {bad[0]}",
        )


async def require_route(ctx: CaseContext) -> None:
    """Blocked by STREAM-AUTH-HEADER unless the run's own credentials open a stream: a refusal
    on a route that refuses a valid upgrade too says nothing about what was refused."""
    stream = await played(ctx, CLOSED)
    if not stream.opened:
        ctx.blocked(
            "STREAM-AUTH-HEADER",
            f"{stream.exchange.describe()}: a valid upgrade with the run's credentials was "
            "refused too, so WebSocket /v1/listen is not shown to exist",
        )


async def probe(
    ctx: CaseContext, params: Sequence[tuple[str, str]], auth: Auth = "header"
) -> Stream:
    """Open a stream; if it opens, send 1 s of the stand-in audio (mono linear16 at 16 kHz,
    whatever the parameters say) and CloseStream, and collect until it closes."""
    stream = await connect(ctx, params, auth=auth)
    if not stream.opened:
        return stream
    await stream.send_audio(Plan().source, ctx.config.pace, seconds=1.0)
    stream.shutdown_at = stream.now()
    await stream.send_json({"type": "CloseStream"})
    await stream.wait_closed(ctx.config.timing.stream_end)
    await stream.aclose()
    return stream


def error_closed(stream: Stream) -> bool:
    """Whether an opened stream ended with an error close (not 1000) before any Results."""
    return stream.close_code not in (None, 1000) and not results(stream)


async def refusal_problem(ctx: CaseContext, params: tuple[tuple[str, str], ...]) -> str | None:
    """None when the target refuses this stream (upgrade 4xx, or an error close before any
    Results); otherwise what it did instead."""
    stream = await probe(ctx, params)
    if not stream.opened:
        if stream.status is not None and 400 <= stream.status < 500:
            return None
        return f"{stream.exchange.describe()}: expected a 4xx refusal"
    if error_closed(stream):
        return None
    how = "accepted and transcribed" if results(stream) else "accepted"
    return f"{stream.describe()} was {how} ({timeline(stream)})"


def require_open(ctx: CaseContext, stream: Stream) -> None:
    """Blocked by STREAM-AUTH-HEADER when the upgrade was refused (this requirement's own
    failure when STREAM-AUTH-HEADER's plain stream opened: see Blocked)."""
    if not stream.opened:
        ctx.blocked(
            "STREAM-AUTH-HEADER",
            f"{stream.exchange.describe()}: the upgrade was refused, so there is no stream "
            f"to check; body {stream.exchange.response_body[:200]!r}",
        )


def shut_down(stream: Stream, deadline: float) -> bool:
    """Whether the target closed the stream (with a close frame) within `deadline` of its
    shutdown request, not as idle."""
    if stream.closed_at is None or stream.shutdown_at is None or stream.closed_by_suite:
        return False
    if stream.close_code == DROPPED:
        return False
    if not 0 <= stream.closed_at - stream.shutdown_at <= deadline:
        return False
    return not any(m.body.get("sha256") == INCOMPLETE for m in stream.of_type("Metadata"))


async def shut_down_plays(ctx: CaseContext) -> list[tuple[Plan, Stream]]:
    """The shutdown streams that ended by their request (STREAM-SHUTDOWN-* judge the others)."""
    deadline = ctx.config.timing.stream_end
    done = [(p, s) for p, s in await played_all(ctx, shutdowns(ctx)) if shut_down(s, deadline)]
    if not done:
        ctx.skip(
            "no stream was shut down by its empty frame or CloseStream "
            "(STREAM-SHUTDOWN-EMPTY-FRAME and STREAM-SHUTDOWN-CLOSESTREAM judge that)"
        )
    return done


def closing_metadata(stream: Stream) -> list[Message]:
    """The Metadata the stream ended with, as a list of at most one: a Metadata sent earlier
    (at connect, say) is STREAM-SHUTDOWN-SEQUENCE's failure, not a description of the audio."""
    last = stream.messages[-1] if stream.messages else None
    return [last] if last is not None and last.type == "Metadata" else []


def not_ended_by_metadata(stream: Stream) -> str | None:
    """Why the stream's last message is not a Metadata (what it was instead), or None."""
    if closing_metadata(stream):
        return None
    last = stream.messages[-1] if stream.messages else None
    instead = f"a {last.type} at {last.at:.2f} s" if last else "none"
    return f"the stream did not end with a Metadata; its last message was {instead}"


def results(stream: Stream) -> list[Message]:
    """The Results messages, in arrival order."""
    return stream.of_type("Results")


def channel_of(message: Message) -> int:
    """channel_index[0] of a Results message (0 when malformed: the schema case says so)."""
    index = message.body.get("channel_index")
    if isinstance(index, list) and index and isinstance(index[0], int):
        return index[0]
    return 0


def timeline(stream: Stream, most: int = 6) -> str:
    """The last few messages, for failure messages: type, is_final, start and duration."""
    shown = []
    for m in stream.messages[-most:]:
        if not m.json_ok:
            shown.append(f"{m.at:.2f} s a {'binary' if m.binary else 'text'} frame, not JSON")
            continue
        body = m.body if isinstance(m.body, dict) else {}
        bits = [str(m.type)] + (["in a binary frame"] if m.binary else [])
        for key in ("is_final", "start", "duration", "sha256"):
            if key in body:
                bits.append(f"{key}={body[key]}")
        shown.append(f"{m.at:.2f} s {' '.join(bits)}")
    return "; ".join([*shown, ending(stream)])


def ending(stream: Stream) -> str:
    """How the stream ended (or did not), for failure messages."""
    if stream.closed_at is None:
        return "still open"
    if stream.closed_by_suite:
        return f"never closed by the target (the suite closed it at {stream.closed_at:.2f} s)"
    if stream.close_code == DROPPED:
        return f"the connection dropped at {stream.closed_at:.2f} s without a close frame (1006)"
    reason = f" {stream.close_reason!r}" if stream.close_reason else ""
    return f"closed at {stream.closed_at:.2f} s with {stream.close_code}{reason}"
