"""What a run spends on a metered target (requests per endpoint, audio seconds, text-to-speech
characters, callback deliveries), counted as it goes out, and the budget (--budget) that caps it:
a live service bills every one of them, so a run says what it cost and can be held under a cap."""

from __future__ import annotations

import io
import json
import re
import wave
from collections import Counter
from collections.abc import Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

import soundfile

from conformance.errors import Skipped
from conformance.wire import audio

BUDGET_KEYS = ("audio", "requests")
"""What --budget caps: audio seconds sent (pre-recorded and streamed) and requests (REST
requests and stream upgrades)."""

SAMPLE_WIDTH = {"linear16": 2, "linear32": 4, "mulaw": 1, "alaw": 1}
"""Bytes per sample of the raw encodings whose duration follows from their size."""

RUN = "(run)"
"""Where what no case sent is charged: the run's route check and its cleanup."""

current_requirement: ContextVar[str] = ContextVar("current_requirement", default=RUN)
"""The requirement whose case runs in this context: what it sends is charged to it (a request
several cases share, to the case that sent it)."""

CLIP_URL = re.compile(r"/audio/(?P<name>[a-z0-9_-]+)\.wav$")
"""The path of a test clip on the suite's receiver, which a {"url": ...} body names."""


def parse_budget(text: str) -> dict[str, float]:
    """`audio=SECONDS,requests=N` (either key optional) as caps by key; ValueError saying what
    is wrong."""
    caps: dict[str, float] = {}
    for pair in (p.strip() for p in text.split(",") if p.strip()):
        name, _, number = pair.partition("=")
        try:
            value = float(number)
        except ValueError:
            value = -1.0
        if name not in BUDGET_KEYS or not 0 <= value < float("inf") or name in caps:
            raise ValueError(
                f"{pair!r} is not KEY=N with N of 0 or more, each key once; keys: audio "
                "(seconds), requests"
            )
        if name == "requests" and not value.is_integer():
            raise ValueError(f"{pair!r}: requests is a whole number")
        caps[name] = value
    if not caps:
        raise ValueError(f"{text!r} names no cap; e.g. audio=120,requests=300")
    return caps


@dataclass
class Share:
    """What one requirement's case sent."""

    requests: int = 0
    audio_seconds: float = 0.0


@dataclass(frozen=True)
class Budget:
    """The most a run may spend; None: no cap on that."""

    audio: float | None = None
    """Audio seconds sent, pre-recorded (bodies and URLs the target fetches) and streamed."""
    requests: int | None = None
    """Requests sent: every REST request and every stream upgrade."""

    @classmethod
    def of(cls, caps: Mapping[str, Any]) -> Budget:
        """A budget from a mapping of its keys (the profile's [budget] table, the flag)."""
        requests = caps.get("requests")
        audio_cap = caps.get("audio")
        return cls(
            None if audio_cap is None else float(audio_cap),
            None if requests is None else int(requests),
        )

    def as_report(self) -> dict[str, float | int | None]:
        """The caps as the report's config block holds them."""
        return {"audio": self.audio, "requests": self.requests}


class RunCost:
    """The run's spending so far: counted as each request, stream frame and delivery goes by,
    read by the reports; a request or stream the budget cannot afford is not sent but skipped."""

    def __init__(self, budget: Budget | None = None) -> None:
        self.budget = budget or Budget()
        self.requests: Counter[str] = Counter()
        """Requests sent, by endpoint: listen, speak, manage, and streams (upgrades)."""
        self.audio_prerecorded = 0.0
        """Seconds of audio in request bodies, and in clips the target fetched from the receiver."""
        self.audio_streamed = 0.0
        """Seconds of audio sent in stream frames."""
        self.tts_characters = 0
        """Characters of text sent to be spoken."""
        self.callback_deliveries = 0
        """Callback attempts (HTTP requests, WebSocket messages) that reached a case's mailbox."""
        self.by_requirement: dict[str, Share] = {}
        """Requests and audio (in bodies and stream frames) by the requirement that sent them."""
        self._reserved = 0.0
        """Seconds streams have set aside and not yet sent (see reserve)."""
        self._held = 0
        """Requests set aside for deleting what the run created (see hold)."""
        self._enforced = True

    def _share(self) -> Share:
        """The share of the requirement whose case runs now."""
        return self.by_requirement.setdefault(current_requirement.get(), Share())

    @property
    def audio_seconds(self) -> float:
        """Every second of audio sent, pre-recorded and streamed."""
        return self.audio_prerecorded + self.audio_streamed

    def request(
        self, endpoint: str, *, audio_seconds: float = 0.0, characters: int = 0, fetch: float = 0.0
    ) -> None:
        """Count one request about to go out with the audio and text it carries (`fetch`: the
        audio it asks the target to fetch, counted when fetched); a skip, counting nothing, when
        it would exceed the budget."""
        what = "this stream" if endpoint == "streams" else "this request"
        self._afford(what, audio_seconds + fetch)
        self.requests[endpoint] += 1
        self.audio_prerecorded += audio_seconds
        self.tts_characters += characters
        share = self._share()
        share.requests += 1
        share.audio_seconds += audio_seconds

    def hold(self) -> None:
        """Set aside the request that will delete something the run is about to create (an API
        key), so the budget never keeps the run from cleaning up; a skip when there is no room
        for both."""
        self._afford("an API key (its creation, and its deletion when the run ends)", 0.0, 2)
        self._held += 1

    def unhold(self) -> None:
        """Give back a held request: nothing was created that needs deleting."""
        self._held = max(0, self._held - 1)

    def unlimited(self) -> None:
        """Stop refusing: the run's cleanup spends the requests held for it."""
        self._enforced = False

    def reserve(self, seconds: float) -> None:
        """Set aside the audio a stream is about to send (so streams sending at once cannot
        exceed the budget together); a skip when it would exceed the budget."""
        self._afford("this stream", seconds, requests=0)
        self._reserved += seconds

    def streamed(self, seconds: float) -> None:
        """Count audio sent in a stream frame, out of what its stream reserved."""
        self.audio_streamed += seconds
        self._reserved = max(0.0, self._reserved - seconds)
        self._share().audio_seconds += seconds

    def release(self, seconds: float) -> None:
        """Give back audio a stream reserved and did not send (it closed first)."""
        self._reserved = max(0.0, self._reserved - seconds)

    def fetched(self, seconds: float) -> None:
        """Count a clip the target fetched from the receiver (a {"url": ...} body's audio)."""
        self.audio_prerecorded += seconds

    def delivered(self) -> None:
        """Count one callback attempt that reached a case's mailbox."""
        self.callback_deliveries += 1

    def _afford(self, what: str, seconds: float, requests: int = 1) -> None:
        """A skip, saying why, when `what` (these requests and seconds of audio) would exceed
        the budget."""
        budget = self.budget
        if not self._enforced:
            return
        sent = sum(self.requests.values())
        held = f" and {self._held} set aside to delete what the run created" if self._held else ""
        if budget.requests is not None and sent + self._held + requests > budget.requests:
            more = "one more request" if requests == 1 else f"{requests} more requests"
            raise Skipped(
                f"budget: {sent} of {budget.requests} requests spent{held} (--budget); {what} "
                f"would take {more}, so it was not sent"
            )
        spent = self.audio_seconds + self._reserved
        if budget.audio is not None and seconds and spent + seconds > budget.audio:
            raise Skipped(
                f"budget: {spent:.1f} of {budget.audio:g} audio seconds spent (--budget); "
                f"{what} would send {seconds:.1f} more, so it was not sent"
            )

    def as_report(self) -> dict[str, Any]:
        """The figures as report.json holds them."""
        return {
            "requests": sum(self.requests.values()),
            "requests_by_endpoint": dict(sorted(self.requests.items())),
            "audio_seconds": round(self.audio_seconds, 3),
            "audio_seconds_prerecorded": round(self.audio_prerecorded, 3),
            "audio_seconds_streamed": round(self.audio_streamed, 3),
            "tts_characters": self.tts_characters,
            "callback_deliveries": self.callback_deliveries,
            "budget": self.budget.as_report(),
            "by_requirement": {
                name: {"requests": share.requests, "audio_seconds": round(share.audio_seconds, 3)}
                for name, share in sorted(self.by_requirement.items())
            },
        }


def body_seconds(
    content: bytes, content_type: str, params: Sequence[tuple[str, str]], clip: str | None
) -> float:
    """Seconds of audio in a request body: a test clip by name, a container by its header (WAV,
    or any libsndfile reads: FLAC, Ogg, MP3), raw audio by the encoding, sample rate and
    channels of the query; 0 for anything else."""
    if clip is not None:
        return audio.CLIPS[clip]().duration
    if content[:4] == b"RIFF":
        try:
            with wave.open(io.BytesIO(content)) as reader:
                frames, frame_rate = int(reader.getnframes()), int(reader.getframerate())
            return frames / frame_rate
        except (wave.Error, EOFError, ZeroDivisionError):
            return 0.0
    query = dict(params)
    width = SAMPLE_WIDTH.get(query.get("encoding", ""))
    if not content_type.startswith("audio/") or not content:
        return 0.0
    if width is None:
        try:
            return float(soundfile.info(io.BytesIO(content)).duration)
        except (RuntimeError, TypeError, ValueError):  # not a container libsndfile knows
            return 0.0
    rate, channels = query.get("sample_rate", ""), query.get("channels", "1")
    if not rate.isdigit():
        return 0.0
    per_second = int(rate) * width * (int(channels) if channels.isdigit() else 1)
    return len(content) / per_second if per_second else 0.0


def spoken_characters(content: bytes, content_type: str = "") -> int:
    """Characters of the text a speak body asks to be spoken: JSON {"text": ...}, or a
    text/plain body (document 003's example sends one); 0 when it is no such body."""
    if content_type.split(";")[0].strip().lower() == "text/plain":
        return len(content.decode("utf-8", "replace"))
    try:
        body = json.loads(content)
    except ValueError:
        return 0
    text = body.get("text") if isinstance(body, dict) else None
    return len(text) if isinstance(text, str) else 0


def fetched_clip_seconds(content: bytes) -> float:
    """Seconds of the test clip a {"url": ...} body asks the target to fetch from the receiver."""
    try:
        body = json.loads(content)
    except ValueError:
        return 0.0
    url = body.get("url") if isinstance(body, dict) else None
    found = CLIP_URL.search(url) if isinstance(url, str) else None
    make = audio.CLIPS.get(found["name"]) if found else None
    return make().duration if make else 0.0


def describe(figures: dict[str, Any]) -> str:
    """The cost figures of a report (RunCost.as_report) in one line, for the console and
    Markdown."""
    by_endpoint = ", ".join(f"{k} {v}" for k, v in figures["requests_by_endpoint"].items())
    budget = ", ".join(
        f"{v:g} {'audio seconds' if k == 'audio' else k}"
        for k, v in figures["budget"].items()
        if v is not None
    )
    return (
        f"{figures['requests']} requests ({by_endpoint or 'none'}), "
        f"{figures['audio_seconds']:.1f} audio seconds "
        f"({figures['audio_seconds_prerecorded']:.1f} pre-recorded, "
        f"{figures['audio_seconds_streamed']:.1f} streamed), "
        f"{figures['tts_characters']} characters spoken, "
        f"{figures['callback_deliveries']} callback deliveries"
        + (f"; budget {budget}" if budget else "")
    )
