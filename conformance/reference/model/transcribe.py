"""The fake recogniser: words, punctuation, speakers, search hits and utterances, all pure."""

from __future__ import annotations

import zlib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from statistics import fmean

from .vad import Region

VOCABULARY = (
    "alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel",
    "india", "juliet", "kilo", "lima", "mike", "november", "oscar", "papa",
    "quebec", "romeo", "sierra", "tango", "uniform", "victor", "whiskey", "xray",
    "yankee", "zulu", "one", "two", "three", "four", "five", "six",
)  # fmt: skip
"""Words the recogniser can 'hear'; the pick depends only on the audio, never on Python's hash."""

PHRASE_GAP = 0.8
"""A longer silence ends a phrase: the next word is capitalised and this one gets a period."""
TURN_GAP = 1.0
"""A longer silence hands the turn to the other speaker."""
_ALTERNATIVE_STRIDE = 7
"""Alternative k shifts the vocabulary pick by k * stride (coprime with the vocabulary size)."""


@dataclass(frozen=True)
class Word:
    """One recognised word; optional fields are filled by punctuate() and diarize()."""

    word: str
    start: float
    end: float
    confidence: float
    digest: int
    punctuated_word: str | None = None
    language: str | None = None
    speaker: int | None = None
    speaker_confidence: float | None = None


@dataclass(frozen=True)
class Hit:
    """A search match: where a term was heard and how sure the recogniser is."""

    confidence: float
    start: float
    end: float
    snippet: str


@dataclass(frozen=True)
class Utterance:
    """A run of one channel's words without a long silence (or a speaker change) inside."""

    channel: int
    words: tuple[Word, ...]

    @property
    def start(self) -> float:
        """When the first word starts."""
        return self.words[0].start

    @property
    def end(self) -> float:
        """When the last word ends."""
        return self.words[-1].end

    @property
    def speaker(self) -> int | None:
        """The speaker of every word, when diarized."""
        return self.words[0].speaker


def _unit(value: int) -> float:
    """Map an integer to [0, 1] in thousandths."""
    return (value % 1001) / 1000


def recognise(regions: Sequence[Region], alternative: int = 0) -> list[Word]:
    """One word per voiced region; alternatives keep the timings but pick other, less sure words."""
    shift, penalty = _ALTERNATIVE_STRIDE * alternative, 0.05 * alternative
    return [
        Word(
            VOCABULARY[(region.digest + shift) % len(VOCABULARY)],
            region.start,
            region.end,
            round(max(0.5, 0.7 + 0.3 * _unit(region.digest >> 8) - penalty), 4),
            region.digest,
        )
        for region in regions
    ]


def transcript(words: Sequence[Word]) -> str:
    """Words joined by spaces, punctuated where punctuation was applied."""
    return " ".join(w.punctuated_word or w.word for w in words)


def confidence(words: Sequence[Word]) -> float:
    """Mean word confidence, 0 for silence."""
    return round(fmean(w.confidence for w in words), 4) if words else 0.0


def _breaks(words: Sequence[Word], gap: float) -> list[bool]:
    """For each word, whether the silence before it is longer than gap (false for the first)."""
    return [i > 0 and w.start - words[i - 1].end > gap for i, w in enumerate(words)]


def punctuate(words: Sequence[Word]) -> list[Word]:
    """Capitalise each phrase's first word and end each phrase with a period."""
    starts = _breaks(words, PHRASE_GAP)
    out = []
    for i, w in enumerate(words):
        text = w.word.capitalize() if i == 0 or starts[i] else w.word
        if i == len(words) - 1 or starts[i + 1]:
            text += "."
        out.append(replace(w, punctuated_word=text))
    return out


def code_switch(words: Sequence[Word]) -> list[Word]:
    """Give each word a language picked by its sound (language=multi): English, or Spanish for
    about a third, the pair the first code-switching model spoke."""
    return [replace(w, language="es" if (w.digest >> 6) % 3 == 0 else "en") for w in words]


def languages(words: Sequence[Word]) -> list[str]:
    """The words' languages, most words first (ties in order of appearance)."""
    counts = Counter(w.language for w in words if w.language is not None)
    return [tag for tag, _ in counts.most_common()]


def diarize(words: Sequence[Word], first_speaker: int = 0) -> list[Word]:
    """Alternate between two speakers after each long silence, starting with first_speaker."""
    out = []
    turn = 0
    for w, new_turn in zip(words, _breaks(words, TURN_GAP), strict=True):
        turn ^= new_turn
        sure = round(0.6 + 0.4 * _unit(w.digest >> 4), 4)
        out.append(replace(w, speaker=first_speaker + turn, speaker_confidence=sure))
    return out


def search(term: str, words: Sequence[Word]) -> list[Hit]:
    """A deterministic subset of the words as hits for term: exact matches and a hashed third."""
    hits = []
    for w in words:
        score = zlib.crc32(f"{term}\0{w.word}".encode())
        if w.word == term.strip().lower() or score % 3 == 0:
            sure = round(0.5 + 0.5 * _unit(score >> 2), 4)
            hits.append(Hit(sure, w.start, w.end, w.word))
    return hits


def utterances(
    channels: Sequence[Sequence[Word]], split: float, by_speaker: bool
) -> list[Utterance]:
    """Split every channel at silences longer than split (and speaker changes), ordered by time."""
    found = []
    for channel, words in enumerate(channels):
        current: list[Word] = []
        for w, long_gap in zip(words, _breaks(words, split), strict=True):
            turn = by_speaker and bool(current) and current[-1].speaker != w.speaker
            if current and (long_gap or turn):
                found.append(Utterance(channel, tuple(current)))
                current = []
            current.append(w)
        if current:
            found.append(Utterance(channel, tuple(current)))
    return sorted(found, key=lambda u: (u.start, u.channel))
