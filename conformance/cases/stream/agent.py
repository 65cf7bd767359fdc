"""STREAM: the voice-agent controls of a live stream: endpointing in milliseconds, UtteranceEnd
and SpeechStarted, judged against where the clip's speech and pauses are."""

from __future__ import annotations

from conformance.cases.kit.context import CaseContext
from conformance.cases.kit.reading import check_shapes, endpoints, words
from conformance.cases.kit.registry import case
from conformance.cases.kit.streams import Plan, channel_of, opened, timeline
from conformance.contract import shapes
from conformance.wire.audio import CLIPS, Burst
from conformance.wire.stream import Message, Stream

ENDPOINTING_MS = 800
"""Longer than the clip's 0.5 s pauses, shorter than its 1.2 s one: one endpoint is due."""
ENDPOINTED = Plan(params=(("interim_results", "false"), ("endpointing", str(ENDPOINTING_MS))))
UTTERANCE_END_MS = 1000
"""The documented example value; only the clip's 1.2 s pause and the silence after it are
that long."""
TAIL = 2.0
"""Seconds of silence sent after the clip, so the last words are followed by a gap longer
than utterance_end_ms."""
UTTERANCES = Plan(
    params=(("interim_results", "true"), ("utterance_end_ms", str(UTTERANCE_END_MS))), tail=TAIL
)
SPEECH_EVENTS = Plan(params=(("interim_results", "true"), ("vad_events", "true")))


def _bursts(plan: Plan) -> tuple[Burst, ...]:
    """Where the plan's (mono) clip has speech, in seconds."""
    return CLIPS[plan.clip]().bursts[0]


def _pause_at(plan: Plan, t: float, tolerance: float) -> float | None:
    """How long the clip has been silent at `t` seconds; None when `t` falls inside speech."""
    bursts = _bursts(plan)
    if any(start + tolerance < t < end - tolerance for start, end in bursts):
        return None
    ended = [end for _, end in bursts if end - tolerance <= t]
    return t - max(ended) if ended else t


@case("STREAM-ENDPOINTING-MS")
async def endpoint_after_the_stated_silence(ctx: CaseContext) -> None:
    """With endpointing=800, a final with speech_final true comes in the clip's 1.2 s pause,
    and none ends inside speech or less than 0.8 s into a pause."""
    stream = await opened(ctx, ENDPOINTED)
    tolerance = ctx.config.timing.duration_tolerance
    wanted = ENDPOINTING_MS / 1000
    found = endpoints(ctx, stream, ENDPOINTED)
    if not found:
        ctx.blocked(
            "STREAM-ENDPOINTING-ON",
            f"{ENDPOINTED.describe()}: no final Results with speech_final true ends before the "
            f"audio does, though the clip pauses for 1.2 s ({timeline(stream)})",
        )
    for n, end in found:
        pause = _pause_at(ENDPOINTED, end, tolerance)
        ctx.check(
            pause is not None,
            f"{ENDPOINTED.describe()}: Results {n} says speech_final true but ends at {end:g} s, "
            "while the clip's speech goes on; an endpoint comes after a pause",
        )
        ctx.check(
            pause is None or pause >= wanted - tolerance,
            f"{ENDPOINTED.describe()}: Results {n} says speech_final true at {end:g} s, "
            f"{pause or 0:.2f} s into a pause; endpointing={ENDPOINTING_MS} asks for "
            f"{wanted:g} s of silence (tolerance {tolerance:g} s)",
        )


def _utterance_ends(ctx: CaseContext, stream: Stream) -> list[Message]:
    """The stream's UtteranceEnd messages (blocked by STREAM-UTTERANCE-END when none came or
    one breaks its schema)."""
    found = stream.of_type("UtteranceEnd")
    bad = [p for m in found for p in shapes.problems("stream-utterance-end", m.body)]
    if not found or bad:
        ctx.blocked("STREAM-UTTERANCE-END", f"{UTTERANCES.describe()}: {bad or 'none came'}")
    return found


@case("STREAM-UTTERANCE-END")
async def utterance_end_after_the_gap(ctx: CaseContext) -> None:
    """With interim_results=true and utterance_end_ms=1000, an UtteranceEnd {channel,
    last_word_end} comes: the clip's last speech is followed by 2.3 s of silence."""
    stream = await opened(ctx, UTTERANCES)
    found = stream.of_type("UtteranceEnd")
    last = _bursts(UTTERANCES)[-1][1]
    ctx.check(
        bool(found),
        f"{UTTERANCES.describe()}: no UtteranceEnd came, though the clip's speech ends at "
        f"{last:g} s and {UTTERANCES.source.duration - last:g} s of silence follow "
        f"({timeline(stream)}); the AsyncAPI lists UtteranceEnd among the stream's messages",
    )
    check_shapes(ctx, UTTERANCES.describe(), found, "stream-utterance-end")


@case("STREAM-UTTERANCE-END-GAP")
async def utterance_end_names_a_word_before_a_gap(ctx: CaseContext) -> None:
    """Each UtteranceEnd's last_word_end is the end of a word the stream reported before it,
    and no speech follows it within utterance_end_ms."""
    stream = await opened(ctx, UTTERANCES)
    tolerance = ctx.config.timing.duration_tolerance
    wanted = UTTERANCE_END_MS / 1000
    _words_in_windows(ctx, stream, tolerance)
    for n, message in enumerate(_utterance_ends(ctx, stream)):
        last = float(message.body["last_word_end"])
        later = [start for start, _ in _bursts(UTTERANCES) if start > last]
        gap = (min(later) if later else UTTERANCES.source.duration) - last
        ctx.check(
            gap >= wanted - tolerance,
            f"{UTTERANCES.describe()}: UtteranceEnd {n} says last_word_end {last:g} s, but the "
            f"clip's speech resumes {gap:.2f} s later; utterance_end_ms={UTTERANCE_END_MS} asks "
            f"for a gap of {wanted:g} s",
        )
        index = stream.messages.index(message)
        channel = message.body["channel"][0]
        ends = [
            float(w["end"])
            for m in stream.messages[:index]
            if m.type == "Results" and channel_of(m) == channel
            for w in words(m)
        ]
        if not ends:
            ctx.note(f"UtteranceEnd {n}: no word came before it, so last_word_end is not judged")
            continue
        ctx.check(
            any(abs(end - last) <= tolerance for end in ends),
            f"{UTTERANCES.describe()}: UtteranceEnd {n} says last_word_end {last:g} s; no word "
            f"of the Results before it ends there (the last ends at {max(ends):g} s)",
        )


def _words_in_windows(ctx: CaseContext, stream: Stream, tolerance: float) -> None:
    """Blocked by STREAM-WORD-TIMES when a word lies outside its Results' window: the word
    times an UtteranceEnd repeats would then not say where the speech is."""
    for message in stream.messages:
        if message.type != "Results":
            continue
        start, duration = message.body.get("start"), message.body.get("duration")
        if not isinstance(start, int | float) or not isinstance(duration, int | float):
            continue  # STREAM-RESULTS-SCHEMA judges it
        for word in words(message):
            a, b = word.get("start"), word.get("end")
            if (
                isinstance(a, int | float)
                and isinstance(b, int | float)
                and not (start - tolerance <= a <= b <= start + duration + tolerance)
            ):
                ctx.blocked(
                    "STREAM-WORD-TIMES",
                    f"a Results covering {start:g}-{start + duration:g} s holds the word "
                    f"{word.get('word')!r} at {a:g}-{b:g} s",
                )


def _first_speech(stream: Stream) -> tuple[int, float] | None:
    """(message index, first word start) of the first Results holding a word, if any."""
    for index, message in enumerate(stream.messages):
        if message.type == "Results" and (found := words(message)):
            return index, min(float(w["start"]) for w in found)
    return None


@case("STREAM-SPEECH-STARTED")
async def speech_started_before_speech(ctx: CaseContext) -> None:
    """With vad_events=true, a SpeechStarted {channel, timestamp} comes, before the first
    Results that holds a word."""
    stream = await opened(ctx, SPEECH_EVENTS)
    what = SPEECH_EVENTS.describe()
    found = stream.of_type("SpeechStarted")
    ctx.check(bool(found), f"{what}: no SpeechStarted came ({timeline(stream)})")
    check_shapes(ctx, what, found, "stream-speech-started")
    speech = _first_speech(stream)
    if speech is None:
        ctx.note("no Results held a word, so the order of SpeechStarted is not judged")
        return
    first = stream.messages.index(found[0])
    ctx.check(
        first < speech[0],
        f"{what}: the first Results holding a word (message {speech[0]}) came before the "
        f"first SpeechStarted (message {first}); SpeechStarted announces the speech",
    )


@case("STREAM-SPEECH-STARTED-TIME")
async def speech_started_not_after_speech(ctx: CaseContext) -> None:
    """The first SpeechStarted's timestamp is not after the start of the first word heard."""
    stream = await opened(ctx, SPEECH_EVENTS)
    speech = _first_speech(stream)
    if speech is None:
        ctx.skip("the target recognised no words, so there is no speech start to compare with")
    before = [m for m in stream.messages[: speech[0]] if m.type == "SpeechStarted"]
    stamp = before[0].body.get("timestamp") if before else None
    if not isinstance(stamp, (int, float)) or isinstance(stamp, bool):
        ctx.blocked("STREAM-SPEECH-STARTED", "no valid SpeechStarted came before the speech")
    tolerance = ctx.config.timing.duration_tolerance
    ctx.check(
        stamp <= speech[1] + tolerance,
        f"{SPEECH_EVENTS.describe()}: SpeechStarted says timestamp {stamp:g} s, after the "
        f"start of the first word heard ({speech[1]:g} s; tolerance {tolerance:g} s)",
    )
