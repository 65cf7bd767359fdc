"""The state one server instance shares between its endpoints."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from .auth import Caller, identify
from .cache import Lru
from .keys import KeyStore
from .requests_log import RequestLog
from .response import Analysis
from .settings import Settings
from .tokens import TokenStore

ANALYSIS_CACHE_SIZE = 32


@dataclass
class Context:
    """Settings plus the in-memory state (tokens, caches) that lives as long as the app."""

    settings: Settings
    clock: Callable[[], float] = time.time
    """Unix time; injectable so token expiry can be tested without waiting."""
    tokens: TokenStore = field(default_factory=TokenStore)
    analyses: Lru[tuple[str, bool], Analysis] = field(
        default_factory=lambda: Lru(ANALYSIS_CACHE_SIZE)
    )
    """Analysis by (sha256 of the audio, channels transcribed separately)."""
    keys: KeyStore = field(init=False)
    """The project's API keys, seeded with the development key."""
    requests: RequestLog = field(default_factory=RequestLog)
    """Every transcription request served, for the requests and usage endpoints."""

    def __post_init__(self) -> None:
        """Seed the key store with the settings' development key."""
        self.keys = KeyStore(self.settings, self.clock)

    def authenticate(self, authorization: str | None) -> Caller:
        """The caller behind an Authorization header value, or ApiError 401."""
        return identify(authorization, self.settings, self.tokens, self.clock(), self.keys)
