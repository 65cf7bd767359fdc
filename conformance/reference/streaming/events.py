"""The voice-agent events of one lane: SpeechStarted (vad_events) and UtteranceEnd
(utterance_end_ms), from the lane's voice activity and the words of its finals."""

from __future__ import annotations

from typing import Any

from ..model.faults import Fault
from ..model.settings import Settings
from ..model.vad import Region
from .options import StreamOptions

SPEECH_GAP = 0.4
"""Seconds of silence after which speech starts anew (and SpeechStarted is sent again)."""
EARLY_GAP = 0.4
"""The gap after which an UtteranceEnd comes under stream-utterance-end-early."""


class VoiceEvents:
    """When speech starts and when an utterance has ended, on one channel."""

    def __init__(self, index: int, total: int, options: StreamOptions, settings: Settings) -> None:
        self.channel = [index, total]
        self.settings = settings
        self.started = options.vad_events and not settings.has(Fault.STREAM_NO_SPEECH_STARTED)
        self.late = settings.has(Fault.STREAM_SPEECH_STARTED_LATE)
        gap = options.utterance_end_ms
        self.gap: float | None = None
        """Seconds of silence after the last final word that end an utterance (None: off)."""
        if gap is not None and options.interim_results:  # documented to need interim results
            self.gap = EARLY_GAP if settings.has(Fault.STREAM_UTTERANCE_END_EARLY) else gap / 1000
        if settings.has(Fault.STREAM_NO_UTTERANCE_END):
            self.gap = None
        self._announced = -1.0
        """The start of the last region whose start was considered for SpeechStarted."""
        self._speech_end: float | None = None
        """The end of the last voiced region heard."""
        self.last_word_end: float | None = None
        """The end of the last word of the finals sent."""
        self._utterance_ended = True
        """Whether an UtteranceEnd followed the last final word (or none came yet)."""

    def speech(self, ended: list[Region], opened: float | None) -> list[dict[str, Any]]:
        """SpeechStarted for each start of speech after silence among the regions just ended
        and the one still open (only ended ones under stream-speech-started-late)."""
        found = []
        starts: list[tuple[float, float | None]] = [(r.start, r.end) for r in ended]
        if opened is not None and not self.late:
            starts.append((opened, None))
        for start, end in starts:
            if start <= self._announced:
                self._speech_end = end if end is not None else self._speech_end
                continue
            self._announced = start
            anew = self._speech_end is None or start - self._speech_end >= SPEECH_GAP
            if self.started and anew:
                stamp = end if self.late and end is not None else start
                found.append({"type": "SpeechStarted", "channel": self.channel, "timestamp": stamp})
            if end is not None:
                self._speech_end = end
        return found

    def finals(self, messages: list[dict[str, Any]]) -> None:
        """Remember the end of the last word of the finals among these Results."""
        for message in messages:
            if message.get("type") != "Results" or not message.get("is_final"):
                continue
            words = message["channel"]["alternatives"][0]["words"]
            if words:
                self.last_word_end = max(float(w["end"]) for w in words)
                self._utterance_ended = False

    def utterance_end(self, silence: float, pending: bool) -> list[dict[str, Any]]:
        """An UtteranceEnd once `silence` seconds have passed since speech (with no speech left
        to finalize) and the gap is reached after the last final word."""
        if self.gap is None or self._utterance_ended or pending or self.last_word_end is None:
            return []
        if silence + 1e-9 < self.gap:
            return []
        self._utterance_ended = True
        return [
            {"type": "UtteranceEnd", "channel": self.channel, "last_word_end": self.last_word_end}
        ]
