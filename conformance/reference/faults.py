"""Fault switches: each breaks exactly one documented requirement, to prove the suite notices."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Literal

Fault = Literal[
    "wrong-sha256",
    "request-id-not-uuid",
    "duration-inflated",
    "channels-always-one",
    "created-not-iso",
    "words-unordered",
    "confidence-out-of-range",
    "ignore-alternatives",
    "extra-alternative",
    "ignore-multichannel",
    "search-drops-term",
    "unenforced-search-limit",
    "search-limit-too-low",
    "unenforced-keywords-limit",
    "keywords-limit-too-low",
    "reject-keyword-intensifier",
    "no-utterances",
    "ignore-utt-split",
    "diarize-from-one",
    "no-punctuated-word",
    "accept-invalid-params",
    "reject-redact-ssn",
    "accept-empty-body",
    "bad-json-500",
    "errors-as-text",
    "no-url-body",
    "strict-audio-mime",
    "schema-missing-models",
    "no-auth",
    "any-key-accepted",
    "token-scheme-rejected",
    "bearer-rejected",
]
"""Every fault name, as a type so that a misspelt switch is a type error rather than a no-op."""

_DESCRIPTIONS: dict[Fault, str] = {
    "wrong-sha256": "metadata.sha256 is the hash of different bytes than the audio sent",
    "request-id-not-uuid": "metadata.request_id of a transcription is not a UUID",
    "duration-inflated": "metadata.duration is 1.5x the true audio duration",
    "channels-always-one": "metadata.channels is 1 even for multichannel audio",
    "created-not-iso": "metadata.created is a unix timestamp instead of ISO-8601",
    "words-unordered": "words in results.channels alternatives come in reverse time order",
    "confidence-out-of-range": "word confidences in results.channels alternatives exceed 1",
    "ignore-alternatives": "alternatives=N is ignored: always exactly one alternative",
    "extra-alternative": "alternatives=N returns N+1 alternatives",
    "ignore-multichannel": "multichannel=true is ignored: one mixed channel in results",
    "search-drops-term": "the last search term gets no entry in results.channels[].search",
    "unenforced-search-limit": "more than 25 search terms are accepted",
    "search-limit-too-low": "25 search terms are rejected (limit is 24)",
    "unenforced-keywords-limit": "more than 200 keywords are accepted",
    "keywords-limit-too-low": "200 keywords are rejected (limit is 199)",
    "reject-keyword-intensifier": "a keyword with a :NUMBER intensifier is rejected with 400",
    "no-utterances": "utterances=true returns no results.utterances",
    "ignore-utt-split": "utt_split is validated but ignored (always 0.8 s)",
    "diarize-from-one": "diarized speaker numbers start at 1 instead of 0",
    "no-punctuated-word": "punctuate=true returns no punctuated_word on words",
    "accept-invalid-params": "invalid parameter values are accepted (count limits still apply)",
    "reject-redact-ssn": "redact=ssn is rejected with 400",
    "accept-empty-body": "an empty audio body is transcribed as zero-length audio instead of 400",
    "bad-json-500": "a malformed JSON body gives 500 instead of 400",
    "errors-as-text": "4xx responses have a text/plain body instead of the JSON error body",
    "no-url-body": 'a JSON {"url": ...} body is refused with 400',
    "strict-audio-mime": "raw audio is accepted only with Content-Type exactly audio/wav",
    "schema-missing-models": "metadata.models and metadata.model_info are omitted",
    "no-auth": "requests without an Authorization header are accepted",
    "any-key-accepted": "any credential with a known scheme is accepted",
    "token-scheme-rejected": "the Token authorization scheme is refused with 401",
    "bearer-rejected": "the Bearer authorization scheme is refused with 401",
}

FAULTS: Mapping[str, str] = MappingProxyType(dict(sorted(_DESCRIPTIONS.items())))
"""Fault name -> the one-line description shown by --list-faults, sorted by name."""


def unknown_faults(names: Iterable[str]) -> list[str]:
    """The names that are not faults, in the order given, so callers can report the first."""
    return [name for name in names if name not in FAULTS]
