"""One transcribed channel of a stream: windows of about a second, cut in silences, as Results."""

from __future__ import annotations

from typing import Any

from ..model import response, transcribe
from ..model.audio import Samples
from ..model.faults import Fault
from ..model.settings import Settings
from ..model.transcribe import Word
from ..model.vad import Region
from .audio import OnlineVad
from .events import VoiceEvents
from .options import StreamOptions

WINDOW = 1.0
"""Seconds of audio after which a final result is sent at the next silence."""
MAX_WINDOW = 5.0
"""Seconds after which a final result is sent even in the middle of a word."""
INTERIM_EVERY = 0.5
"""Seconds of audio between interim results, when they are asked for."""
FINALIZE_LEAST = 0.75
"""Seconds of unfinalized audio below which Finalize sends nothing under no-flush-without-audio:
between half a second (a short buffer) and the ~1 s the Finalize page's "significant amount of
audio" is read as (issue 14)."""


class Lane:
    """The Results of one channel (or of the mixed audio): finals, interims, flushes."""

    def __init__(self, index: int, total: int, options: StreamOptions, settings: Settings) -> None:
        self.index = index
        self.total = total
        self.options = options
        self.settings = settings
        self.vad = OnlineVad(options.sample_rate)
        self.window_start = 0.0
        self.last_interim = 0.0
        self.regions: list[Region] = []
        self.samples = 0
        self._interims = not settings.has(Fault.STREAM_NO_INTERIMS) and (
            options.interim_results or settings.has(Fault.STREAM_INTERIMS_ALWAYS)
        )
        """Whether interim results are sent (as the fault switches bend the option)."""
        self._endpointing = (
            options.endpointing or settings.has(Fault.STREAM_ENDPOINTING_IGNORED)
        ) and not settings.has(Fault.STREAM_NO_SPEECH_FINAL)
        """Whether a final cut at a pause is an endpoint (speech_final true)."""
        ms = options.endpointing_ms
        self._endpoint = None if ms is None else ms / 1000
        """The silence a final waits for when endpointing gives milliseconds (None: any)."""
        self.events = VoiceEvents(index, total, options, settings)

    def feed(self, signal: Samples) -> list[dict[str, Any]]:
        """Analyse new samples; the messages that are due (SpeechStarted, Results,
        UtteranceEnd, in that order)."""
        self.samples += len(signal)
        ended = self.vad.feed(signal)
        self.regions += ended
        found = self.events.speech(ended, self.vad.opened)
        due = self._results()
        self.events.finals(due)
        pending = bool(self.regions) or not self.vad.silent
        return found + due + self.events.utterance_end(self.vad.silence, pending)

    def _results(self) -> list[dict[str, Any]]:
        """The Results messages that are due: a final at a long enough pause after a window,
        a forced final after MAX_WINDOW, or an interim."""
        now = self.vad.processed
        elapsed = now - self.window_start
        waited = self._endpoint is None or self.vad.silence >= self._endpoint
        if elapsed >= WINDOW and self.vad.silent and waited:
            return [self._due(now, speech_final=self._endpointing)]
        if elapsed >= MAX_WINDOW:
            self.regions += self.vad.flush()
            return [self._due(now, speech_final=False)]
        if self._interims and now - self.last_interim >= INTERIM_EVERY:
            self.last_interim = now
            return [self._message(now, is_final=False, speech_final=False)]
        return []

    def flush(self, *, finalize: bool) -> list[dict[str, Any]]:
        """The pending audio as a final result (always one for Finalize; none if none is left)."""
        if not self.options.sample_rate:  # audio this server does not read: nothing to flush
            return []
        self.regions += self.vad.flush()
        end = round(self.samples / self.options.sample_rate, 6)
        if end <= self.window_start and not finalize:
            return []
        short = end - self.window_start < FINALIZE_LEAST
        if finalize and short and self.settings.imitates("no-flush-without-audio"):
            return []
        message = self._final(end, speech_final=True, from_finalize=finalize)
        self.events.finals([message])
        if not finalize and self.settings.has(Fault.STREAM_FLUSH_RESTARTS):
            message["duration"] = round(message["start"] + message["duration"], 6)
            message["start"] = 0.0
        return [message]

    def _due(self, end: float, *, speech_final: bool) -> dict[str, Any]:
        """The final due at end; under finals-shorter one that ends early, at the start of the
        last word begun before the last interim's end, leaving that word on to the next final
        (the live service's "final transcripts may end early")."""
        cut = self._early_end()
        if cut is None:
            return self._final(end, speech_final=speech_final)
        later = [region for region in self.regions if region.start >= cut]
        self.regions = [region for region in self.regions if region.start < cut]
        message = self._final(cut, speech_final=False)
        self.regions = later
        return message

    def _early_end(self) -> float | None:
        """Where a final ends early under finals-shorter; None without an interim to undercut or
        a word begun inside it (the final then covers the window, as usual)."""
        if not self.settings.imitates("finals-shorter") or self.last_interim <= self.window_start:
            return None
        starts = [r.start for r in self.regions if self.window_start < r.start < self.last_interim]
        return starts[-1] if starts else None

    def _final(
        self, end: float, *, speech_final: bool, from_finalize: bool = False
    ) -> dict[str, Any]:
        """A final result for the window so far, and a new window after it."""
        message = self._message(
            end, is_final=True, speech_final=speech_final, finalize=from_finalize
        )
        self.window_start = self.last_interim = max(end, self.window_start)
        self.regions = []
        return message

    def _words(self) -> list[list[Word]]:
        """Each alternative's words in the window, decorated as the options ask."""
        options = self.options.listen
        out = []
        for k in range(options.alternatives):
            words = transcribe.recognise(self.regions, k)
            if options.punctuated:
                words = transcribe.punctuate(words)
            if options.diarize:
                words = transcribe.diarize(words)
            if options.multilingual and not self.settings.has(Fault.STREAM_MULTI_NO_LANGUAGE):
                words = transcribe.code_switch(words)
            out.append(words)
        return out

    def _message(
        self, end: float, *, is_final: bool, speech_final: bool, finalize: bool = False
    ) -> dict[str, Any]:
        """A Results message for [window_start, end] (metadata is added by the session)."""
        shift = self.window_start if self.settings.has(Fault.STREAM_WORDS_OUTSIDE_WINDOW) else 0.0
        alternatives = []
        for words in self._words():
            listed = [response.word_json(w) for w in words]
            for word in listed:
                word["start"] = round(word["start"] - shift, 3)
                word["end"] = round(word["end"] - shift, 3)
            alternative: dict[str, Any] = {
                "transcript": transcribe.transcript(words),
                "confidence": transcribe.confidence(words),
                "words": listed,
            }
            if any(w.language for w in words):
                alternative["languages"] = transcribe.languages(words)
            alternatives.append(alternative)
        message: dict[str, Any] = {
            "type": "Results",
            "channel_index": [self.index, self.total],
            "duration": round(max(0.0, end - self.window_start), 6),
            "start": round(self.window_start, 6),
            "is_final": is_final,
            "speech_final": speech_final,
            "channel": {"alternatives": alternatives},
            "metadata": {},
            "from_finalize": finalize,
        }
        if self.settings.has(Fault.STREAM_RESULTS_NO_SPEECH_FINAL):
            del message["speech_final"]
        return message
