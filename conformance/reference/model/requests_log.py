"""The request log: every request served (listen, streams, speak), with its tags, method and
duration, for the requests, usage and fields APIs."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from urllib.parse import quote

from .faults import Fault
from .keys import KeyStore
from .settings import Settings

MAX_LOGGED = 10_000
"""Requests kept; the oldest are forgotten, so a long-running mock stays small."""


@dataclass(frozen=True)
class LoggedRequest:
    """One served request as the management API reports it."""

    request_id: str
    created: str
    """ISO-8601 UTC."""
    path: str
    api_key_id: str | None
    tags: tuple[str, ...]
    """The request's own tags followed by those of the key that made it."""
    code: int
    duration: float
    """Seconds of audio transcribed or synthesised (0 when the response did not say)."""
    method: str = "sync"
    """sync, async (answered at once, delivered to a callback) or streaming: the spec's enum."""
    endpoint: str = "listen"
    """listen or speak: the official spec's endpoint filter."""
    features: tuple[str, ...] = ()
    """The query's features (punctuate, diarize, ...), for Get Fields."""
    characters: int = 0
    """Characters synthesised (speak)."""

    @property
    def succeeded(self) -> bool:
        """The spec's status filter: succeeded is a code below 300."""
        return self.code < 300


@dataclass
class RequestLog:
    """Requests by id, in the order they were served."""

    _entries: OrderedDict[str, LoggedRequest] = field(default_factory=OrderedDict)
    """An OrderedDict: forgetting the oldest is O(1) (a dict's first key is found by a scan)."""

    def add(self, entry: LoggedRequest) -> None:
        """Record a served request, forgetting the oldest beyond MAX_LOGGED."""
        self._entries[entry.request_id] = entry
        if len(self._entries) > MAX_LOGGED:
            self._entries.popitem(last=False)

    def get(self, request_id: str) -> LoggedRequest | None:
        """One request by id."""
        return self._entries.get(request_id)

    def all(self) -> list[LoggedRequest]:
        """Every request, newest first (as the API lists them)."""
        return list(reversed(self._entries.values()))

    def tagged(self, tags: Iterable[str]) -> list[LoggedRequest]:
        """The requests carrying every one of these tags."""
        wanted = set(tags)
        return [e for e in self.all() if wanted <= set(e.tags)]


FEATURES = (
    "alternatives",
    "detect_entities",
    "detect_language",
    "diarize",
    "dictation",
    "filler_words",
    "intents",
    "keyterm",
    "keywords",
    "measurements",
    "multichannel",
    "numerals",
    "paragraphs",
    "profanity_filter",
    "punctuate",
    "redact",
    "replace",
    "search",
    "sentiment",
    "smart_format",
    "summarize",
    "topics",
    "utterances",
)
"""The usage filters of the official spec that name a feature, as Get Fields lists them."""


def features(query: Sequence[tuple[str, str]]) -> tuple[str, ...]:
    """The features a request's query turned on (any value but false)."""
    used = {name for name, value in query if name in FEATURES and value.lower() != "false"}
    return tuple(sorted(used))


def key_tags(
    settings: Settings, keys: KeyStore, key_id: str | None, tags: list[str]
) -> tuple[str, ...]:
    """The request's own tags followed by those of the key that made it (document 002)."""
    if settings.has(Fault.TAGS_FIRST_ONLY):
        tags = tags[:1]
    if settings.has(Fault.TAGS_STORED_ENCODED):
        tags = [quote(tag, safe="") for tag in tags]
    key = keys.get(key_id) if key_id else None
    if key is not None and not settings.has(Fault.KEY_TAGS_NOT_APPLIED):
        tags = tags + [t for t in key.tags if t not in tags]
    return tuple(tags)
