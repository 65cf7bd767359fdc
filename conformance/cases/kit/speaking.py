"""What the SPEAK-STREAM cases share: sockets to WebSocket /v1/speak played once per run from
scripts of Speak, Flush, Clear and Close, and reading what came back."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from conformance.cases.kit.context import CaseContext
from conformance.cases.kit.streams import connect
from conformance.wire.http import record
from conformance.wire.stream import Auth, Message, Stream

SPEAK_PATH = "/v1/speak"
TEXT = "Hello from the conformance suite."
"""Text every target can speak: plain words, a full stop."""
Step = Literal["speak", "flush", "clear", "close"]


@dataclass(frozen=True)
class Script:
    """A speak socket the suite plays: its audio format and what it sends, in order; after a
    Flush or Clear it waits for the acknowledgement (Flushed, Cleared) before going on."""

    name: str
    encoding: str = "linear16"
    rate: int = 24_000
    steps: tuple[Step, ...] = ("speak", "flush", "close")
    speed: str | None = None

    @property
    def params(self) -> tuple[tuple[str, str], ...]:
        """The documented query: model, encoding, sample_rate (and speed, when set)."""
        return (
            ("model", "aura-asteria-en"),
            ("encoding", self.encoding),
            ("sample_rate", str(self.rate)),
            *((("speed", self.speed),) if self.speed else ()),
        )

    def describe(self) -> str:
        """A short name for messages: format and steps."""
        steps = ", ".join(s.capitalize() for s in self.steps)
        return f"speak socket ({self.name}: {self.encoding} at {self.rate} Hz; {steps})"


SPOKEN = Script("spoken")
MULAW = Script("mu-law", "mulaw", 8_000)
CLEARING = Script("clearing", steps=("speak", "clear", "flush", "speak", "flush", "close"))
CLOSING = Script("closing", steps=("speak", "close"))
SLOW = Script("speed 0.7", speed="0.7")
FAST = Script("speed 1.5", speed="1.5")
ACKNOWLEDGEMENT = {"flush": "Flushed", "clear": "Cleared"}


async def connect_speak(
    ctx: CaseContext, params: Sequence[tuple[str, str]], auth: Auth = "header"
) -> Stream:
    """Open a speak socket to the target with the run's credentials (or as `auth` says)."""
    return await connect(ctx, params, auth, SPEAK_PATH)


async def send(ctx: CaseContext, stream: Stream, step: Step) -> None:
    """One step of a script; after a Flush or Clear, wait for its acknowledgement."""
    if step == "speak":
        await stream.send_json({"type": "Speak", "text": TEXT})
        return
    kind = ACKNOWLEDGEMENT.get(step)
    before = len(stream.of_type(kind)) if kind else 0
    await stream.send_json({"type": step.capitalize()})
    if kind is not None:
        deadline = ctx.config.timing.stream_message
        await stream.wait_for(lambda: len(stream.of_type(kind)) > before, deadline)
    else:
        stream.shutdown_at = stream.now()
        await stream.wait_closed(ctx.config.timing.stream_end)


async def play(ctx: CaseContext, script: Script) -> Stream:
    """Open, send the script's steps, and close from our side if the target has not."""
    stream = await connect_speak(ctx, script.params)
    if stream.opened:
        for step in script.steps:
            await send(ctx, stream, step)
        await stream.aclose()
    return stream


async def shared(ctx: CaseContext, script: Script) -> Stream:
    """The run's one playing of this script (shared by every case that reads it), as evidence."""
    stream = await ctx.fixtures.shared(("speak-socket", script), lambda: play(ctx, script))
    record(stream.exchange)
    ctx.reproducer = stream.reproducer()
    return stream


async def played(ctx: CaseContext, script: Script) -> Stream:
    """The shared playing of this script, blocked by SPEAK-STREAM-OPEN when the upgrade was
    refused."""
    stream = await shared(ctx, script)
    if not stream.opened:
        ctx.blocked(
            "SPEAK-STREAM-OPEN",
            f"{stream.exchange.describe()}: the upgrade was refused, so there is no socket "
            f"to check; body {stream.exchange.response_body[:200]!r}",
        )
    return stream


def audio_between(stream: Stream, start: int, end: int | None = None) -> list[Message]:
    """The binary frames among messages[start:end]."""
    return [m for m in stream.messages[start:end] if m.binary]


def index_of(stream: Stream, kind: str, nth: int = 0) -> int | None:
    """Where the nth message of a type is in the stream (None when it never came)."""
    found = [n for n, m in enumerate(stream.messages) if not m.binary and m.type == kind]
    return found[nth] if len(found) > nth else None


def audio_bytes(frames: Sequence[Message]) -> int:
    """The bytes of audio in binary frames."""
    return sum(m.size for m in frames)
