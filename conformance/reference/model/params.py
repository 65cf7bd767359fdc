"""Query parameters of /v1/listen: the documented domains as pure validation of (name, value)."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

from .errors import bad_request
from .faults import Fault
from .features import ENUMS, Features, features
from .settings import Settings
from .tagging import parse_extra, parse_tags

BOOLEANS = frozenset(
    {
        "punctuate", "profanity_filter", "diarize", "ner", "multichannel", "numerals",
        "utterances", "smart_format", "paragraphs", "dictation", "filler_words", "measurements",
        "detect_entities", "sentiment", "topics", "intents", "mip_opt_out", "detect_language",
    }
)  # fmt: skip
STRINGS = frozenset({"model", "version", "language", "tier", "replace"})
"""Free-form parameters that only need a value."""
REDACT_VALUES = frozenset({"pci", "pii", "numbers", "ssn", "true", "false"})
MAX_ALTERNATIVES = 20
SEARCH_LIMIT = 25
KEYWORDS_LIMIT = 200
"""The limits of the legacy v2 reference (DOC-004) ..."""
CURRENT_SEARCH_LIMIT = 50
CURRENT_KEYWORDS_LIMIT = 100
"""... and of the current /v1 Search and Keywords pages (the current-limits variant)."""
KEYTERM_LIMIT = 100
KEYTERM_WORDS = 500
"""Keyterms: "up to 100" (the Keyterm page) and 500 tokens in all (the changelog of
2026-10-08), a token counted as a word."""
DEFAULT_UTT_SPLIT = 0.8
LONG_UTT_SPLIT = 1.5
"""The default default-utt-split-long uses: the test audio's 1.2 s pause no longer splits."""

_INTEGER = re.compile(r"[0-9]+")
_DECIMAL = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)")
_NUMBER = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?")


@dataclass(frozen=True)
class ListenOptions:
    """The parameters that change what a transcription looks like, already validated."""

    punctuate: bool = False
    smart_format: bool = False
    diarize: bool = False
    multichannel: bool = False
    utterances: bool = False
    alternatives: int = 1
    utt_split: float = DEFAULT_UTT_SPLIT
    search: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    redact: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    extra: tuple[tuple[str, str], ...] = ()
    """metadata.extra as (key, value) pairs, already deduplicated."""
    features: Features = field(default_factory=Features)
    """The audio intelligence and formatting features asked for."""
    models: tuple[str, ...] = ()
    """Each channel's model, when multichannel=true and model names several (general:phonecall)."""
    multilingual: bool = False
    """language=multi: code switching, each word with its language."""

    @property
    def punctuated(self) -> bool:
        """Smart formatting implies punctuation."""
        return self.punctuate or self.smart_format


class _Invalid(ValueError):
    """A value outside its documented domain; the message says what was expected."""


def _boolean(value: str) -> bool:
    """Exactly true or false, in any case."""
    lowered = value.lower()
    if lowered not in ("true", "false"):
        raise _Invalid("expected true or false")
    return lowered == "true"


def _alternatives(value: str) -> int:
    """A whole number of alternatives from 1 to MAX_ALTERNATIVES."""
    if not _INTEGER.fullmatch(value) or not 1 <= int(value) <= MAX_ALTERNATIVES:
        raise _Invalid(f"expected an integer from 1 to {MAX_ALTERNATIVES}")
    return int(value)


def _utt_split(value: str) -> float:
    """A finite number of seconds greater than zero."""
    if not _NUMBER.fullmatch(value) or not 0 < float(value) < math.inf:
        raise _Invalid("expected a number of seconds greater than 0")
    return float(value)


def _redact(value: str) -> str:
    """One of the documented redaction options."""
    if value.lower() not in REDACT_VALUES:
        raise _Invalid(f"expected one of {', '.join(sorted(REDACT_VALUES))}")
    return value.lower()


def _term(value: str) -> str:
    """A non-blank search term."""
    if not value.strip():
        raise _Invalid("expected a non-empty search term")
    return value


def _has_intensifier(keyword: str) -> bool:
    """Whether a keyword ends in :NUMBER."""
    _, colon, intensifier = keyword.rpartition(":")
    return bool(colon) and _DECIMAL.fullmatch(intensifier) is not None


def _keyword(value: str) -> str:
    """WORD or WORD:INTENSIFIER, where the intensifier is a (possibly negative) decimal."""
    if ":" in value and not _has_intensifier(value):
        raise _Invalid("expected WORD or WORD:INTENSIFIER with a decimal intensifier")
    word = value.rpartition(":")[0] if ":" in value else value
    if not word.strip():
        raise _Invalid("expected a non-empty keyword")
    return value


def _out_of_range(name: str, value: str) -> bool:
    """Whether a well-typed value lies outside the inferred domain (alternatives=0, utt_split
    <= 0), which no document refuses: the lenient-params variant accepts and ignores it."""
    if name == "alternatives":
        return _INTEGER.fullmatch(value) is not None and int(value) == 0
    return name == "utt_split" and _NUMBER.fullmatch(value) is not None and float(value) <= 0


def _enum(name: str, value: str) -> str:
    """One of a parameter's listed values (summarize's true and false in any case)."""
    lowered = value.lower() if name == "summarize" else value
    if lowered not in ENUMS[name]:
        raise _Invalid(f"expected one of {', '.join(sorted(ENUMS[name]))}")
    return lowered


def _text(value: str) -> str:
    """Any non-empty value."""
    if not value:
        raise _Invalid("expected a non-empty value")
    return value


def _limits(settings: Settings) -> tuple[int | None, int | None]:
    """The search and keyword count limits, as the current-limits variant and the fault
    switches bend them."""
    current = settings.imitates("current-limits")
    search: int | None = CURRENT_SEARCH_LIMIT if current else SEARCH_LIMIT
    keywords: int | None = CURRENT_KEYWORDS_LIMIT if current else KEYWORDS_LIMIT
    if settings.has(Fault.UNENFORCED_SEARCH_LIMIT):
        search = None
    elif settings.has(Fault.SEARCH_LIMIT_TOO_LOW):
        search = SEARCH_LIMIT - 1
    if settings.has(Fault.UNENFORCED_KEYWORDS_LIMIT):
        keywords = None
    elif settings.has(Fault.KEYWORDS_LIMIT_TOO_LOW):
        keywords = CURRENT_KEYWORDS_LIMIT - 1  # below both: 100 (v1) and 200 (v2) are refused
    return search, keywords


def _check_counts(items: Sequence[tuple[str, str]], settings: Settings) -> None:
    """Refuse more search terms, keywords or keyterms than documented (kept even by
    accept-invalid-params)."""
    search_limit, keywords_limit = _limits(settings)
    for name, limit in (("search", search_limit), ("keywords", keywords_limit)):
        count = sum(1 for key, _ in items if key == name)
        if limit is not None and count > limit:
            raise bad_request(f"Too many `{name}` values: {count} sent, at most {limit} allowed.")
    terms = [value for key, value in items if key == "keyterm"]
    words = sum(len(term.split()) for term in terms)
    over = len(terms) > KEYTERM_LIMIT or words > KEYTERM_WORDS
    if over and not settings.has(Fault.KEYTERM_LIMIT_UNENFORCED):
        raise bad_request(
            f"Too many keyterms: {len(terms)} of {words} words sent, at most {KEYTERM_LIMIT} "
            f"of {KEYTERM_WORDS} tokens allowed."
        )


_LATER_MODELS = frozenset({"voicemail", "finance", "conversationalai", "video"})
"""Documented models that models-three-only refuses (it keeps general, meeting, phonecall)."""
_OTHER_LANGUAGES = frozenset(
    {"nl", "fr", "fr-CA", "de", "hi", "it", "ja", "ko", "pt", "pt-BR", "ru", "es", "es-419"}
    | {"sv", "tr"}
)
"""Documented language tags that english-only refuses."""


def _check_faulty_rejections(items: Sequence[tuple[str, str]], settings: Settings) -> None:
    """The fault switches that refuse values the contract allows."""
    for name, value in items:
        if name == "redact" and value.lower() == "ssn" and settings.has(Fault.REJECT_REDACT_SSN):
            raise bad_request("Invalid value for `redact`: 'ssn' is not supported.")
        if name == "keywords" and _has_intensifier(value):
            if settings.has(Fault.REJECT_KEYWORD_INTENSIFIER):
                raise bad_request(f"Invalid value for `keywords`: {value!r} has an intensifier.")
        if name == "model" and value in _LATER_MODELS and settings.has(Fault.MODELS_THREE_ONLY):
            raise bad_request(f"Invalid value for `model`: {value!r} is not available.")
        if name == "model" and ":" in value and settings.has(Fault.MODEL_PER_CHANNEL_REFUSED):
            raise bad_request(f"Invalid value for `model`: {value!r} names several models.")
        if name == "keyterm" and settings.has(Fault.REJECT_KEYTERM):
            raise bad_request("Invalid parameter `keyterm`: not supported.")
        if name == "language" and value in _OTHER_LANGUAGES and settings.has(Fault.ENGLISH_ONLY):
            raise bad_request(f"Invalid value for `language`: {value!r} is not supported.")


_LISTS: dict[str, Callable[[str], str]] = {
    "search": _term,
    "keywords": _keyword,
    "redact": _redact,
    "keyterm": _text,
    "custom_topic": _text,
    "custom_intent": _text,
}
"""Repeatable parameters and the validator of each value."""


def parse_listen_options(items: Sequence[tuple[str, str]], settings: Settings) -> ListenOptions:
    """Validate every known parameter (unknown ones are ignored, as Deepgram does) into options."""
    _check_counts(items, settings)
    _check_faulty_rejections(items, settings)
    tags, extra = parse_tags(items, settings), parse_extra(items, settings)
    flags: dict[str, bool] = {}
    lists: dict[str, list[str]] = {name: [] for name in _LISTS}
    alternatives, utt_split = _defaults(items, settings)
    enums: dict[str, str] = {}
    lenient = settings.imitates("lenient-params")
    for name, value in items:
        if lenient and _out_of_range(name, value):
            continue
        try:
            if name in BOOLEANS:
                flags[name] = _boolean(value)
            elif name in _LISTS:
                lists[name].append(_LISTS[name](value))
            elif name == "alternatives":
                alternatives = _alternatives(value)
            elif name == "utt_split":
                utt_split = _utt_split(value)
            elif name in STRINGS:
                _text(value)
            elif name in ENUMS:
                enums[name] = _enum(name, value)
        except _Invalid as invalid:
            if not settings.has(Fault.ACCEPT_INVALID_PARAMS):
                raise bad_request(f"Invalid value for `{name}`: {value!r} ({invalid}).") from None
    multichannel = flags.get("multichannel", False)
    model = next((value for name, value in reversed(items) if name == "model"), "")
    options = ListenOptions(
        punctuate=flags.get("punctuate", False),
        smart_format=flags.get("smart_format", False),
        diarize=flags.get("diarize", False) or "diarize_model" in enums,
        multichannel=multichannel,
        utterances=flags.get("utterances", False),
        alternatives=alternatives,
        utt_split=utt_split,
        search=tuple(lists["search"]),
        keywords=tuple(lists["keywords"]),
        redact=tuple(lists["redact"]),
        tags=tags,
        extra=tuple(extra.items()),
        features=features(flags, lists, enums),
        models=tuple(model.split(":")) if multichannel and ":" in model else (),
        multilingual=any(name == "language" and value == "multi" for name, value in items),
    )
    return _bend(options, settings, asked="alternatives" in {name for name, _ in items})


def _defaults(items: Sequence[tuple[str, str]], settings: Settings) -> tuple[int, float]:
    """alternatives and utt_split when absent (1 and 0.8, as documented; bent by the faults)."""
    names = {name for name, _ in items}
    two = "alternatives" not in names and settings.has(Fault.DEFAULT_ALTERNATIVES_TWO)
    long = "utt_split" not in names and settings.has(Fault.DEFAULT_UTT_SPLIT_LONG)
    return 2 if two else 1, LONG_UTT_SPLIT if long else DEFAULT_UTT_SPLIT


def _bend(options: ListenOptions, settings: Settings, asked: bool) -> ListenOptions:
    """Apply the fault switches that make the server ignore or misread valid options (asked:
    whether alternatives was given, which extra-alternative miscounts)."""
    if settings.has(Fault.IGNORE_UTT_SPLIT):
        options = replace(options, utt_split=DEFAULT_UTT_SPLIT)
    if settings.has(Fault.IGNORE_MULTICHANNEL):
        options = replace(options, multichannel=False)
    if settings.has(Fault.IGNORE_ALTERNATIVES):
        options = replace(options, alternatives=1)
    elif settings.has(Fault.EXTRA_ALTERNATIVE) and asked:
        options = replace(options, alternatives=options.alternatives + 1)
    return options
