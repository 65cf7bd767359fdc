"""The run configuration: what to test, with which credentials, under which timing."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from .errors import UsageError
from .timing import Timing
from .wire.cost import Budget
from .wire.limits import Concurrency

AREAS = (
    "LISTEN",
    "AUTH",
    "CALLBACK",
    "SPEAK",
    "TAG",
    "EXTRA",
    "STREAM",
    "KEYS",
    "PROJECTS",
    "FUZZ",
)
"""Every area of the catalogue, in report order."""


DEFAULT_EXAMPLES = 5
"""Generated examples per property-based case by default: the boundaries are explicit examples,
so a few generated ones prove the rest (the fault matrix catches every fault with as many), and
against a metered API each costs a request."""


CALLBACK_PREFIXES = ("CALLBACK-", "SPEAK-CALLBACK-", "EXTRA-IN-CALLBACK")
"""Requirements whose cases wait for callback deliveries, so their deadline follows the retries."""


class AuthScheme(StrEnum):
    """How the run's requests carry the API key in the Authorization header."""

    TOKEN = "token"
    BEARER = "bearer"
    BASIC = "basic"


class Level(StrEnum):
    """How binding a requirement is; MUST gates, SHOULD gates with --strict, MAY never."""

    MUST = "MUST"
    SHOULD = "SHOULD"
    MAY = "MAY"


@dataclass(frozen=True)
class Credentials:
    """The run's API key and how to present it."""

    api_key: str
    scheme: AuthScheme = AuthScheme.TOKEN
    api_key_id: str | None = None

    def authorization(self) -> str:
        """The Authorization header value for the run's own requests."""
        if self.scheme is AuthScheme.BASIC:
            return "Basic " + base64.b64encode(self.api_key.encode()).decode()
        return f"{self.scheme.value.capitalize()} {self.api_key}"


@dataclass(frozen=True)
class RunConfig:
    """Everything a run needs, resolved from flags, environment and defaults."""

    target: str
    credentials: Credentials
    ws_target: str = ""
    project_id: str | None = None
    callback_host: str = "127.0.0.1"
    callback_public_url: str | None = None
    retry_delay: float = 30.0
    retry_count: int = 10
    stream_idle_timeout: float = 10.0
    pace: float = 1.0
    """Streaming speed as a multiple of real time."""
    areas: frozenset[str] = frozenset()
    strict: bool = False
    report_dir: Path = Path("reports")
    timing: Timing = field(default_factory=Timing)
    examples: int = DEFAULT_EXAMPLES
    concurrency: Concurrency = field(default_factory=Concurrency)
    """Exchanges in flight per endpoint."""
    budget: Budget = field(default_factory=Budget)
    """The most the run may spend (--budget): what would exceed it is not sent but skipped."""
    embedded: bool = False
    capabilities: frozenset[str] = frozenset(
        ("listen", "callbacks", "speak", "streaming", "keys", "usage", "grant")
    )
    """Optional parts of the contract the target declares it implements."""
    dialect: str = "v1"
    """v1, or v2: the legacy API of document 004 (paths under /v2, Basic key:secret)."""
    baseline: frozenset[str] | None = None
    """IDs that passed in the baseline report (--baseline): only they gate."""
    waivers: dict[str, str] = field(default_factory=dict)
    """Known-failing requirement IDs and why (--known-failing): they do not gate."""
    deviations: dict[str, str] = field(default_factory=dict)
    """Where the profiled service is documented to depart from the contract documents, and the
    evidence: they do not gate, and one that passes is told, not failed."""
    deviations_source: str | None = None
    profile: dict[str, Any] = field(default_factory=dict)
    """The profile as used, for the report."""
    profile_source: str | None = None

    def __post_init__(self) -> None:
        if not self.ws_target:
            object.__setattr__(self, "ws_target", derive_ws_url(self.target))

    def selects(self, area: str) -> bool:
        """Whether `--only` lets this area run."""
        return not self.areas or area in self.areas

    def declares(self, capability: str) -> bool:
        """Whether the target declares an optional capability."""
        return capability in self.capabilities

    def case_deadline(self, requirement_id: str) -> float:
        """How long one case may run: callback cases wait out the target's whole retry schedule."""
        if requirement_id.startswith(CALLBACK_PREFIXES):
            return self.timing.callback_case(self.retry_delay, self.retry_count)
        return self.timing.case

    def gates(self, level: Level) -> bool:
        """Whether a failure at this level fails the run."""
        return level is Level.MUST or (self.strict and level is Level.SHOULD)


def normalise_target(url: str) -> str:
    """Check a REST base URL and strip its trailing slash; one-line error when malformed."""
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise UsageError(f"--target must be an http:// or https:// URL, not {url!r}")
    try:
        parts.port  # noqa: B018  (raises on a malformed port)
    except ValueError as exc:
        raise UsageError(f"--target has a bad port: {url!r}") from exc
    return urlunsplit((parts.scheme, parts.netloc, parts.path.rstrip("/"), "", ""))


def derive_ws_url(target: str) -> str:
    """The WebSocket base URL for a REST base: http -> ws, https -> wss."""
    parts = urlsplit(target)
    scheme = "wss" if parts.scheme == "https" else "ws"
    return urlunsplit((scheme, parts.netloc, parts.path, "", ""))
