"""The /v1/listen response body, shaped like Deepgram's recordings; output faults live here."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from . import intelligence, transcribe
from .faults import Fault
from .params import ListenOptions
from .settings import Settings
from .transcribe import Utterance, Word
from .vad import Region

MODEL_UUID = "5d3b0c1e-7a0f-4c9e-9b1a-2f6f0e8d4c21"
MODEL_INFO = {"name": "general-reference", "version": "2026-01-01.0", "arch": "reference"}

Json = dict[str, Any]


@dataclass(frozen=True)
class Analysis:
    """What the audio itself says, independent of options: cached per audio and channel layout."""

    duration: float
    channels: int
    """Channels in the audio file."""
    regions: tuple[tuple[Region, ...], ...]
    """Voiced regions per transcribed channel (one entry when the channels were mixed)."""


def sha256_hex(data: bytes) -> str:
    """Hex SHA-256 of data: metadata.sha256, and the key the analysis cache knows audio by."""
    return hashlib.sha256(data).hexdigest()


def audio_sha256(audio: bytes, digest: str, settings: Settings) -> str:
    """metadata.sha256: digest, the audio's own (a hash of other bytes under wrong-sha256)."""
    if settings.has(Fault.WRONG_SHA256):
        return sha256_hex(audio + b"\0")
    return digest


def request_id(settings: Settings) -> str:
    """A fresh UUID for a transcription (something else under request-id-not-uuid)."""
    if settings.has(Fault.REQUEST_ID_NOT_UUID):
        return "req-" + secrets.token_hex(8)
    return str(uuid.uuid4())


def created(now: float, settings: Settings) -> str:
    """ISO-8601 UTC with milliseconds and Z, as Deepgram writes it (unix seconds under a fault)."""
    if settings.has(Fault.CREATED_NOT_ISO):
        return str(int(now))
    stamp = datetime.fromtimestamp(now, UTC).isoformat(timespec="milliseconds")
    return stamp.replace("+00:00", "Z")


def metadata(
    *,
    analysis: Analysis,
    request_id: str,
    sha256: str,
    created: str,
    settings: Settings,
    extra: Sequence[tuple[str, str]] = (),
    models: Sequence[str] = (),
) -> Json:
    """The metadata object, in the key order of the recorded responses (extra last, if asked)."""
    duration = (
        analysis.duration * 1.5 if settings.has(Fault.DURATION_INFLATED) else analysis.duration
    )
    out: Json = {
        "transaction_key": "deprecated",
        "request_id": request_id,
        "sha256": sha256,
        "created": created,
        "duration": round(duration, 6),
        "channels": 1 if settings.has(Fault.CHANNELS_ALWAYS_ONE) else analysis.channels,
    }
    if not settings.has(Fault.SCHEMA_MISSING_MODELS):
        info = _models(models, settings)
        out["models"] = list(info)
        out["model_info"] = info
    if extra and not settings.has(Fault.EXTRA_DROPPED):
        out["extra"] = dict(extra)
    return out


def _models(names: Sequence[str], settings: Settings) -> dict[str, Json]:
    """model_info by model id: the reference model, and one more for each other model a channel
    was given (model=general:phonecall), the first channel's being the reference model."""
    info = {MODEL_UUID: dict(MODEL_INFO)}
    if settings.has(Fault.MODELS_ONE_FOR_CHANNELS):
        return info
    for name in names[1:]:
        if name != names[0]:
            model_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"listen:{name}"))
            info[model_id] = {**MODEL_INFO, "name": f"{name}-reference"}
    return info


def _decorate(words: list[Word], options: ListenOptions, settings: Settings) -> list[Word]:
    """Add punctuation and speakers as requested."""
    smart = options.smart_format and not settings.has(Fault.SMART_FORMAT_IGNORED)
    if smart or (options.punctuate and not settings.has(Fault.NO_PUNCTUATED_WORD)):
        words = transcribe.punctuate(words)
    if options.diarize:
        words = transcribe.diarize(words, 1 if settings.has(Fault.DIARIZE_FROM_ONE) else 0)
    if options.multilingual and not settings.has(Fault.MULTI_WORDS_NO_LANGUAGE):
        words = transcribe.code_switch(words)
    return words


def word_json(word: Word, *, out_of_range: bool = False) -> Json:
    """A Word object with only the keys its options produce, in the recorded key order."""
    out: Json = {
        "word": word.word,
        "start": word.start,
        "end": word.end,
        "confidence": round(word.confidence + 1.0, 4) if out_of_range else word.confidence,
    }
    if word.language is not None:
        out["language"] = word.language
    if word.speaker is not None:
        out["speaker"] = word.speaker
        out["speaker_confidence"] = word.speaker_confidence
    if word.punctuated_word is not None:
        out["punctuated_word"] = word.punctuated_word
    return out


def _alternative(words: list[Word], options: ListenOptions, settings: Settings) -> Json:
    """One ResultAlternative; the word-list faults touch only these words, not utterances."""
    listed = list(reversed(words)) if settings.has(Fault.WORDS_UNORDERED) else words
    out_of_range = settings.has(Fault.CONFIDENCE_OUT_OF_RANGE)
    out: Json = {
        "transcript": transcribe.transcript(words),
        "confidence": transcribe.confidence(words),
        "words": [word_json(w, out_of_range=out_of_range) for w in listed],
    }
    if any(w.language for w in words):
        out["languages"] = transcribe.languages(words)
    features = options.features
    # nova-3 answers smart_format with paragraphs too (the recorded smart_format responses)
    if (features.paragraphs or options.smart_format) and not settings.has(Fault.NO_PARAGRAPHS):
        out["paragraphs"] = intelligence.paragraphs(words, settings)
    if features.detect_entities:
        out["entities"] = intelligence.entities(words, settings)
    if features.summarize == "true":
        out["summaries"] = intelligence.summaries(words)
    return out


def _search(terms: Sequence[str], words: list[Word], settings: Settings) -> list[Json]:
    """One SearchResults entry per term, in request order."""
    if settings.has(Fault.SEARCH_DROPS_TERM):
        terms = terms[:-1]
    return [
        {
            "query": term,
            "hits": [
                {"confidence": h.confidence, "start": h.start, "end": h.end, "snippet": h.snippet}
                for h in transcribe.search(term, words)
            ],
        }
        for term in terms
    ]


def _utterance_json(utterance: Utterance) -> Json:
    """One utterance object; speaker only when diarized."""
    out: Json = {
        "start": utterance.start,
        "end": utterance.end,
        "confidence": transcribe.confidence(utterance.words),
        "channel": utterance.channel,
        "transcript": transcribe.transcript(utterance.words),
        "words": [word_json(w) for w in utterance.words],
    }
    if utterance.speaker is not None:
        out["speaker"] = utterance.speaker
    out["id"] = str(uuid.uuid4())
    return out


def results(analysis: Analysis, options: ListenOptions, settings: Settings) -> Json:
    """The results object: per-channel alternatives and search, and utterances when asked."""
    channels: list[Json] = []
    primary: list[list[Word]] = []
    for regions in analysis.regions:
        alternatives = [
            _decorate(transcribe.recognise(regions, k), options, settings)
            for k in range(options.alternatives)
        ]
        primary.append(alternatives[0])
        channel: Json = {}
        if options.search:
            channel["search"] = _search(options.search, alternatives[0], settings)
        channel["alternatives"] = [_alternative(w, options, settings) for w in alternatives]
        if options.features.detect_language and not settings.has(Fault.NO_DETECTED_LANGUAGE):
            channel |= intelligence.detected_language(alternatives[0])
        channels.append(channel)
    out: Json = {"channels": channels}
    if options.utterances and not settings.has(Fault.NO_UTTERANCES):
        found = transcribe.utterances(primary, options.utt_split, by_speaker=options.diarize)
        out["utterances"] = [_utterance_json(u) for u in found]
    return out | intelligence.results(primary[0], options.features, settings)


def intelligence_info(analysis: Analysis, options: ListenOptions, settings: Settings) -> Json:
    """metadata's *_info objects of the intelligence features asked for (of the first channel,
    which the results-level features read)."""
    words = transcribe.recognise(analysis.regions[0])
    return intelligence.info(words, options.features, settings)
