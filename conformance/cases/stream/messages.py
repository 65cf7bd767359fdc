"""STREAM: live transcription over WebSocket, its messages, control frames and shutdown."""

from __future__ import annotations

import functools
import hashlib
from dataclasses import replace
from datetime import datetime
from itertools import pairwise

from conformance.cases.kit.context import CaseContext
from conformance.cases.kit.reading import endpoints, field
from conformance.cases.kit.registry import case
from conformance.cases.kit.streams import (
    CLOSED,
    CONTENT,
    EXTRA,
    FORMATS,
    STEREO,
    Plan,
    channel_of,
    closing_metadata,
    connect,
    error_closed,
    interims_plan,
    opened,
    played,
    played_all,
    probe,
    refusal_problem,
    require_open,
    require_route,
    require_typed,
    results,
    shut_down,
    shut_down_plays,
    timeline,
    untyped,
)
from conformance.cases.kit.walk import items, number, ordinal_list
from conformance.cases.listen.formats import LOSSY_SLACK
from conformance.contract import shapes
from conformance.wire.audio import phrase
from conformance.wire.codecs import CONTAINER
from conformance.wire.containers import CONTAINERS, streamed
from conformance.wire.http import record
from conformance.wire.stream import Message, Stream

UNKNOWN_KEY = "Token conformance-unknown-key-0000"
"""An Authorization value no target knows."""

# ---------------------------------------------------------------------------------- handshake


@case("STREAM-AUTH-HEADER")
async def header_credentials_accepted(ctx: CaseContext) -> None:
    """The upgrade with the run's Authorization header is accepted (101)."""
    stream = await played(ctx, CLOSED)
    ctx.check(
        stream.opened,
        f"{stream.exchange.describe()}: the upgrade with the run's Authorization header was "
        f"refused; body {stream.exchange.response_body[:200]!r}",
    )


@case("STREAM-AUTH-SUBPROTOCOL")
async def subprotocol_credentials_accepted(ctx: CaseContext) -> None:
    """The upgrade with Sec-WebSocket-Protocol: token, KEY and no Authorization is accepted."""
    if ctx.config.credentials.scheme.value == "basic":
        ctx.skip("the run's credentials are a Basic user:password, not a key for `token, KEY`")
    stream = await connect(ctx, CLOSED.source.params, auth="subprotocol")
    await stream.aclose()
    if not stream.opened:
        await require_route(ctx)
    ctx.check(
        stream.opened,
        f"{stream.exchange.describe()}: the upgrade carrying the key as "
        "Sec-WebSocket-Protocol: token, KEY was refused",
    )


BAD_CREDENTIALS = {"none": "without credentials", UNKNOWN_KEY: "with an unknown key"}
"""The upgrades that must be refused, each with how it is described."""


async def bad_credentials(ctx: CaseContext) -> list[tuple[str, Stream]]:
    """The run's one probing of each bad-credential upgrade (shared by both AUTH cases)."""
    found = []
    for auth, what in BAD_CREDENTIALS.items():
        make = functools.partial(probe, ctx, CLOSED.source.params, auth)
        stream = await ctx.fixtures.shared(("stream-auth", auth), make)
        record(stream.exchange)
        found.append((what, stream))
    return found


@case("STREAM-AUTH-REFUSED")
async def bad_credentials_refused(ctx: CaseContext) -> None:
    """Upgrades without credentials, or with an unknown key, are refused (no 101, or an error
    close before any Results)."""
    await require_route(ctx)
    for what, stream in await bad_credentials(ctx):
        ctx.reproducer = stream.reproducer()
        ctx.check(
            not stream.opened or error_closed(stream),
            f"{stream.exchange.describe()}: the upgrade {what} was accepted and the stream "
            f"served ({timeline(stream)}); it should be refused",
        )


@case("STREAM-AUTH-401")
async def bad_credentials_get_401(ctx: CaseContext) -> None:
    """Upgrades without credentials, or with an unknown key, are refused with HTTP 401."""
    await require_route(ctx)
    for what, stream in await bad_credentials(ctx):
        ctx.reproducer = stream.reproducer()
        ctx.check(
            stream.status == 401,
            f"{stream.exchange.describe()}: the upgrade {what} should be refused with 401",
        )


@case("STREAM-SAMPLE-RATE-REQUIRED")
async def encoding_without_sample_rate_refused(ctx: CaseContext) -> None:
    """encoding=linear16 without sample_rate is refused."""
    await require_route(ctx)
    problem = await refusal_problem(ctx, (("encoding", "linear16"), ("channels", "1")))
    ctx.check(problem is None, f"encoding without sample_rate: {problem}")


@case("STREAM-AMR-RATES")
async def amr_rates_enforced(ctx: CaseContext) -> None:
    """amr-nb only at 8000 Hz and amr-wb only at 16000 Hz (skipped where AMR is not offered)."""
    control = await probe(ctx, (("encoding", "amr-nb"), ("sample_rate", "8000")))
    if control.status in (401, 403):
        require_open(ctx, control)
    if not control.opened:
        ctx.skip(
            f"{control.exchange.describe()}: the target refuses amr-nb even at 8000 Hz, so it "
            "does not offer AMR (an optional codec the suite cannot produce)"
        )
    if error_closed(control):
        ctx.skip(
            f"{control.describe()}: amr-nb at 8000 Hz, its allowed rate, was closed with "
            f"{control.close_code} on the suite's stand-in audio (not AMR) before any Results: "
            "the target cannot decode the stand-in audio, so a close cannot be attributed to "
            f"the rate ({timeline(control)})"
        )
    for encoding, rate in (("amr-nb", "16000"), ("amr-wb", "8000")):
        problem = await refusal_problem(ctx, (("encoding", encoding), ("sample_rate", rate)))
        ctx.check(problem is None, f"{encoding} at {rate} Hz: {problem}")


@case("STREAM-ENCODINGS")
async def raw_formats_transcribed(ctx: CaseContext) -> None:
    """Raw linear16 and mulaw at 8 and 16 kHz are accepted and answered with Results."""
    for plan in FORMATS:
        stream = await played(ctx, plan)
        require_open(ctx, stream)
        require_typed(ctx, plan, stream)
        ctx.check(
            bool(results(stream)),
            f"{plan.describe()}: no Results message came ({timeline(stream)})",
        )


@case("STREAM-CHANNELS")
async def channels_reported(ctx: CaseContext) -> None:
    """With channels=2 and multichannel=true, Results come for [0, 2] and [1, 2]."""
    for plan, stream in await played_all(ctx, STEREO):
        indexes = [m.body.get("channel_index") for m in results(stream)]
        ctx.check(bool(indexes), f"{plan.describe()}: no Results came ({timeline(stream)})")
        shown = ordinal_list(sorted(set(map(str, indexes))))
        ctx.check(
            all(isinstance(i, list) and i[1:] == [2] for i in indexes),
            f"{plan.describe()}: channel_index values {shown}; every one should be [i, 2]",
        )
        seen = {channel_of(m) for m in results(stream)}
        ctx.check(seen == {0, 1}, f"{plan.describe()}: Results came for channels {sorted(seen)}")
        for meta in closing_metadata(stream):
            ctx.check(
                meta.body.get("channels") == 2,
                f"{plan.describe()}: Metadata.channels is {meta.body.get('channels')!r}, not 2",
            )


# ----------------------------------------------------------------------------------- messages


@case("STREAM-MESSAGES-JSON")
async def messages_are_typed_json_text(ctx: CaseContext) -> None:
    """Every message the server sends is a JSON object in a text frame, with a type."""
    for plan, stream in await played_all(ctx, CONTENT, typed=False):
        bad = untyped(stream)
        ctx.check(not bad, f"{plan.describe()}: {len(bad)} bad messages: {ordinal_list(bad)}")


@case("STREAM-RESULTS-SCHEMA")
async def results_match_schema(ctx: CaseContext) -> None:
    """Every Results message validates against schemas/stream-results.json."""
    for plan, stream in await played_all(ctx, CONTENT):
        for n, message in enumerate(results(stream)):
            problems = shapes.problems("stream-results", message.body)
            ctx.check(
                not problems,
                f"{plan.describe()}: Results {n} breaks schemas/stream-results.json: "
                f"{ordinal_list(problems)}",
            )


@case("STREAM-START-ORDER")
async def start_never_goes_back(ctx: CaseContext) -> None:
    """Per channel, each Results' start is no earlier than the previous one's."""
    for plan, stream in await played_all(ctx, CONTENT):
        for channel in {channel_of(m) for m in results(stream)}:
            mine = [m for m in results(stream) if channel_of(m) == channel]
            starts = [number(m.body.get("start"), "Results.start") for m in mine]
            for n, (a, b) in enumerate(pairwise(starts)):
                ctx.check(
                    b >= a - 1e-6,
                    f"{plan.describe()}: channel {channel} Results {n + 1} starts at {b:g} s, "
                    f"before the previous one's start {a:g} s",
                )


@case("STREAM-WORD-TIMES")
async def words_inside_their_window(ctx: CaseContext) -> None:
    """Each word lies inside its Results' window [start, start + duration]."""
    tolerance = ctx.config.timing.duration_tolerance
    found = 0
    for plan, stream in await played_all(ctx, CONTENT):
        for n, message in enumerate(results(stream)):
            start = number(message.body.get("start"), "Results.start")
            end = start + number(message.body.get("duration"), "Results.duration")
            where = f"{plan.describe()}: Results {n}"
            for alternative in items(field(message, "channel.alternatives", where), where):
                words = alternative.get("words") if isinstance(alternative, dict) else None
                for word in words if isinstance(words, list) else []:
                    if not isinstance(word, dict):
                        continue  # STREAM-RESULTS-SCHEMA reports it
                    found += 1
                    a = number(word.get("start"), "word start")
                    b = number(word.get("end"), "word end")
                    ctx.check(
                        start - tolerance <= a <= b <= end + tolerance,
                        f"{plan.describe()}: Results {n} covers {start:g}-{end:g} s but its "
                        f"word {word.get('word')!r} spans {a:g}-{b:g} s",
                    )
    if not found:
        ctx.skip("the target recognised no words in any stream, so there is nothing to check")


@case("STREAM-REQUEST-ID")
async def one_request_id_per_stream(ctx: CaseContext) -> None:
    """Every message of a stream carries the same request_id, and no two streams share one."""
    owners: dict[str, str] = {}
    for plan, stream in await played_all(ctx, CONTENT):
        what = plan.describe()
        ids = [
            field(m, "metadata.request_id", f"{what}: Results {n}")
            for n, m in enumerate(results(stream))
        ]
        ids += [field(m, "request_id", f"{what}: the Metadata") for m in stream.of_type("Metadata")]
        distinct = sorted(set(map(str, ids)))
        ctx.check(
            len(distinct) <= 1,
            f"{plan.describe()}: {len(distinct)} different request_ids in one stream: "
            f"{ordinal_list(distinct)}",
        )
        for request_id in distinct:
            ctx.check(
                request_id not in owners,
                f"{plan.describe()} has request_id {request_id!r}, as {owners.get(request_id)} "
                "does: each stream is a request of its own",
            )
            owners[request_id] = plan.describe()


@case("STREAM-INTERIM-OFF")
async def no_interims_when_off(ctx: CaseContext) -> None:
    """With interim_results=false, no Results has is_final false."""
    stream = await opened(ctx, CLOSED)
    interim = [m for m in results(stream) if m.body.get("is_final") is False]
    ctx.check(
        not interim,
        f"{CLOSED.describe()}: {len(interim)} Results with is_final false, the first at "
        f"{interim[0].at:.2f} s"
        if interim
        else "",
    )


FIRST_PART = 3.0
"""Seconds of the mono clip sent before the full-duplex check waits: its first phrase and the
silence after it, which a transcriber answers with at least an interim Results."""


@case("STREAM-FULL-DUPLEX")
async def results_while_uploading(ctx: CaseContext) -> None:
    """Results arrive while the upload is still going on: after the first 3 s of audio, and
    before any more is sent or the stream is ended, a Results comes."""
    source = Plan().source
    stream = await connect(ctx, (*source.params, ("interim_results", "true")))
    require_open(ctx, stream)
    deadline = ctx.config.timing.stream_message
    idle = ctx.config.stream_idle_timeout
    try:
        await stream.send_audio(source, ctx.config.pace, seconds=FIRST_PART)
        sent = stream.now()
        until = sent + deadline
        while not results(stream) and (left := until - stream.now()) > 0:
            await stream.send_json({"type": "KeepAlive"})  # mid upload: only paused
            await stream.wait_for(lambda: bool(results(stream)), min(idle / 3, left))
        found = results(stream)
        if not found:
            require_typed(ctx, Plan(params=(("interim_results", "true"),)), stream)
        ctx.check(
            bool(found),
            f"no Results came within {deadline:g} s after the first {FIRST_PART:g} s of audio, "
            f"with the upload paused but not ended ({timeline(stream)}); document 004: you "
            "still receive transcription responses while uploading data",
        )
        ctx.note(f"the first Results came {found[0].at - sent:.2f} s after the pause began")
        stream.shutdown_at = stream.now()
        await stream.send_json({"type": "CloseStream"})
        await stream.wait_closed(ctx.config.timing.stream_end)
    finally:
        await stream.aclose()


ENDPOINTING_OFF = Plan(params=(("interim_results", "false"), ("endpointing", "false")))
"""The canonical stream with endpointing turned off."""


@case("STREAM-ENDPOINTING-ON")
async def endpoint_after_a_pause(ctx: CaseContext) -> None:
    """With endpointing on (the default), a pause in the speech brings a final with
    speech_final true before the end of the audio (the clip pauses 0.5 s and 1.2 s)."""
    stream = await opened(ctx, CLOSED)
    ctx.check(
        bool(endpoints(ctx, stream, CLOSED)),
        f"{CLOSED.describe()}: no final Results with speech_final true ends before the audio "
        f"does ({CLOSED.source.duration:g} s), though the speech pauses for 0.5 s and 1.2 s "
        f"({timeline(stream)}); document 004: an endpoint is finalized with speech_final true",
    )


@case("STREAM-ENDPOINTING-OFF")
async def no_endpoint_when_off(ctx: CaseContext) -> None:
    """With endpointing=false, no final before the shutdown says speech_final true."""
    stream = await opened(ctx, ENDPOINTING_OFF)
    found = ", ".join(
        f"{n} (ending at {end:g} s)" for n, end in endpoints(ctx, stream, ENDPOINTING_OFF)
    )
    ctx.check(
        not found,
        f"{ENDPOINTING_OFF.describe()}: Results {found} say speech_final true before the end "
        "of the audio; with endpointing off there is no endpoint to finalize",
    )


async def _compressed_streams(ctx: CaseContext, encoding: str) -> None:
    """Stream the short phrase as Ogg Opus and as FLAC (without `encoding`, or under the codec's
    encoding) and judge each: Results come, and the closing Metadata says the clip's duration."""
    clip = phrase()
    slack = ctx.config.timing.duration_tolerance + LOSSY_SLACK
    for container in CONTAINERS:
        if container.name not in ("ogg-opus", "flac"):
            continue
        source = streamed(clip, container, encoding)
        codec = {"ogg-opus": "opus", "flac": "flac"}[container.name]
        if encoding != CONTAINER:
            source = replace(source, encoding=codec)
        told = "no encoding" if encoding == CONTAINER else f"encoding={codec}"
        what = f"{container.name} stream ({told})"
        stream = await connect(ctx, (*source.params, ("interim_results", "false")))
        require_open(ctx, stream)
        legacy = ctx.config.dialect == "v2"  # document 004 ends a stream with an empty frame
        try:
            await stream.send_audio(source, ctx.config.pace)
            stream.shutdown_at = stream.now()
            if legacy:
                await stream.send_empty()
            else:
                await stream.send_json({"type": "CloseStream"})
            await stream.wait_closed(ctx.config.timing.stream_end)
        finally:
            await stream.aclose()
        require_typed(ctx, Plan(), stream)
        if not results(stream) and (error_closed(stream) or stream.close_code is None):
            ctx.blocked(  # the shutdown requirement judges ending a stream on the plain one
                "STREAM-SHUTDOWN-EMPTY-FRAME" if legacy else "STREAM-SHUTDOWN-CLOSESTREAM",
                f"{what}: no Results came, and the stream did not end as asked "
                f"({timeline(stream)})",
            )
        ctx.check(bool(results(stream)), f"{what}: no Results came ({timeline(stream)})")
        metas = closing_metadata(stream)
        if not metas:
            ctx.blocked("STREAM-SHUTDOWN-SEQUENCE", f"{what}: no closing Metadata")
        duration = number(field(metas[0], "duration", f"{what}: the Metadata"), "duration")
        if abs(duration - clip.duration) > slack:
            ctx.blocked(  # STREAM-METADATA judges the duration of raw streams
                "STREAM-METADATA",
                f"{what}: the Metadata says duration {duration:g} s; {clip.duration:g} s of "
                f"audio were streamed (tolerance {slack:g} s)",
            )


@case("STREAM-CONTAINERS")
async def containers_without_encoding(ctx: CaseContext) -> None:
    """Ogg Opus and FLAC streamed without `encoding` are transcribed: the container says its
    own format."""
    await _compressed_streams(ctx, CONTAINER)


@case("STREAM-ENCODINGS-COMPRESSED")
async def compressed_encodings(ctx: CaseContext) -> None:
    """encoding=opus (Ogg Opus) and encoding=flac streams are transcribed."""
    await _compressed_streams(ctx, "codec")


SPEEX = (("encoding", "speex"), ("sample_rate", "16000"))
"""A stream declaring Ogg Speex: the suite cannot make Speex audio (no maintained library it can
use encodes it: PyAV's FFmpeg build ships only the decoder), so only the upgrade is judged."""


@case("STREAM-ENCODING-SPEEX")
async def speex_accepted(ctx: CaseContext) -> None:
    """encoding=speex, a documented streaming encoding, is accepted at the upgrade."""
    await require_route(ctx)
    stream = await connect(ctx, SPEEX)
    try:
        ctx.check(
            stream.opened,
            f"{stream.exchange.describe()}: a stream with encoding=speex&sample_rate=16000 was "
            "refused; document 004 lists speex (Ogg Speex) among the streaming encodings",
            on=stream.exchange,
        )
        await stream.send_json({"type": "CloseStream"})
        await stream.wait_closed(ctx.config.timing.stream_end)
    finally:
        await stream.aclose()


@case("STREAM-INTERIM-ON")
async def interims_then_final(ctx: CaseContext) -> None:
    """With interim_results=true, interim Results come, and the finals that follow each one
    cover its window together (one final may end before the interim before it)."""
    plan = interims_plan(ctx)
    stream = await opened(ctx, plan)
    found = results(stream)
    interims = [m for m in found if m.body.get("is_final") is False]
    ctx.check(bool(interims), f"{plan.describe()}: no interim Results ({len(found)} finals)")
    complete = shut_down(stream, ctx.config.timing.stream_end)
    tolerance = ctx.config.timing.duration_tolerance
    for n, interim in enumerate(interims):
        channel = channel_of(interim)
        window = _window(interim)
        later = [
            _window(m)
            for m in found[found.index(interim) :]
            if m.body.get("is_final") is True and channel_of(m) == channel
        ]
        if not complete and not later:
            ctx.note(
                f"interim {n} after the last final is not judged: the stream did not shut down"
            )
            continue
        reach = _covered_until(window, later, tolerance)
        ctx.check(
            reach >= window[1] - tolerance,
            f"{plan.describe()}: interim Results {n} ({window[0]:g}-{window[1]:g} s, channel "
            f"{channel}): the finals after it cover it only up to {reach:g} s "
            f"({len(later)} finals: {', '.join(f'{a:g}-{b:g}' for a, b in later[:4])})",
        )


def _window(message: Message) -> tuple[float, float]:
    """The audio a Results message covers: (start, start + duration)."""
    start = number(message.body.get("start"), "start")
    return start, start + number(message.body.get("duration"), "duration")


def _covered_until(
    window: tuple[float, float], finals: list[tuple[float, float]], tolerance: float
) -> float:
    """How far from the window's start the union of the finals' windows reaches without a gap
    wider than the tolerance (the finals after an interim may split its window)."""
    reach = window[0]
    for start, end in sorted(finals):
        if start <= reach + tolerance:
            reach = max(reach, end)
    return reach


# ----------------------------------------------------------------------------------- metadata


@case("STREAM-METADATA")
async def metadata_describes_the_audio(ctx: CaseContext) -> None:
    """The final Metadata: schema, sha256 and duration of all audio sent, channels, created."""
    tolerance = ctx.config.timing.duration_tolerance
    done = await shut_down_plays(ctx)
    checked = 0
    for plan, stream in done:
        for meta in closing_metadata(stream):
            checked += 1
            body, what = meta.body, plan.describe()
            problems = shapes.problems("stream-metadata", body)
            ctx.check(not problems, f"{what}: Metadata breaks the schema: {ordinal_list(problems)}")
            expected = hashlib.sha256(stream.audio_sent).hexdigest()
            ctx.check(
                str(body["sha256"]).lower() == expected,
                f"{what}: Metadata.sha256 is {body['sha256']!r}; the SHA-256 of the "
                f"{len(stream.audio_sent)} bytes sent is {expected}",
            )
            seconds = len(stream.audio_sent) / plan.source.bytes_per_second
            ctx.check(
                abs(body["duration"] - seconds) <= tolerance,
                f"{what}: Metadata.duration is {body['duration']:g} s; {seconds:g} s of audio "
                f"were sent (tolerance {tolerance:g} s)",
            )
            ctx.check(
                body["channels"] == plan.source.channels,
                f"{what}: Metadata.channels is {body['channels']!r}, not {plan.source.channels}",
            )
            try:
                zone = datetime.fromisoformat(body["created"]).tzinfo
            except ValueError:
                zone = None
            ctx.check(zone is not None, f"{what}: Metadata.created {body['created']!r} is not ISO")
    if not checked:
        ctx.skip("no stream ended with a Metadata message (STREAM-SHUTDOWN-SEQUENCE judges that)")


@case("STREAM-EXTRA")
async def extra_echoed_in_stream(ctx: CaseContext) -> None:
    """extra=KEY:VALUE comes back in metadata.extra of every Results and in the Metadata."""
    stream = await opened(ctx, EXTRA)
    expected = {"suite": "stream", "run": "conformance"}
    what = EXTRA.describe()
    found = [
        (field(m, "metadata.extra", f"{what}: Results {n}"), f"Results {n}")
        for n, m in enumerate(results(stream))
    ]
    metas = closing_metadata(stream)
    found += [(field(m, "extra", f"{what}: the Metadata"), "the Metadata") for m in metas]
    ctx.check(bool(found), f"{what}: no Results or Metadata came ({timeline(stream)})")
    for extra, kind in found:
        ctx.check(extra == expected, f"{what}: {kind} has extra {extra!r}; expected {expected}")
