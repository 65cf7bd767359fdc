"""The request log: every request served (listen, streams, speak), with its tags, method and
duration, for the requests, usage and fields APIs."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field

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
