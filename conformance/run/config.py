"""The run configuration: what to test, with which credentials, under which timing, built once
by RunConfig.resolve from the flags, the profile, the environment and the defaults."""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from conformance.contract import catalogue
from conformance.contract.catalogue import AREAS, CAPABILITIES, Level, Requirement
from conformance.errors import UsageError
from conformance.run import regress
from conformance.run.embedded import EmbeddedServer
from conformance.run.profile import Profile
from conformance.timing import (
    EMBEDDED_OBSERVATION,
    EMBEDDED_PACE,
    EMBEDDED_RETRY_DELAY,
    EMBEDDED_STREAM_IDLE_TIMEOUT,
    Timing,
)
from conformance.wire.cost import Budget
from conformance.wire.limits import Concurrency

DEFAULT_EXAMPLES = 5
"""Generated examples per property-based case by default: the boundaries are explicit examples,
so a few generated ones prove the rest (the fault matrix catches every fault with as many), and
against a metered API each costs a request."""

Flags = Mapping[str, Any]
"""`conformance run`'s flags by destination name (argparse's), None or absent when not given."""


class AuthScheme(StrEnum):
    """How the run's requests carry the API key in the Authorization header."""

    TOKEN = "token"
    BEARER = "bearer"
    BASIC = "basic"


@dataclass(frozen=True)
class Setting:
    """A plain setting: the flag (RunConfig field) and profile key that may set it, and its
    default against the embedded reference server where that differs from the field's."""

    name: str
    key: str
    embedded: Any = None


PLAIN = (
    Setting("ws_target", "ws_target"),
    Setting("project_id", "project_id"),
    Setting("callback_host", "callback_host"),
    Setting("callback_public_url", "callback_public_url"),
    Setting("retry_delay", "timing.retry_delay", EMBEDDED_RETRY_DELAY),
    Setting("retry_count", "timing.retry_count"),
    Setting("stream_idle_timeout", "timing.stream_idle_timeout", EMBEDDED_STREAM_IDLE_TIMEOUT),
    Setting("pace", "timing.pace", EMBEDDED_PACE),
    Setting("dialect", "dialect"),
    Setting("examples", "timing.examples"),
    Setting("rate_limit", "rate_limit"),
    Setting("proxy", "proxy"),
    Setting("tls_verify", "tls_verify"),
)
"""Settings taken as they are: the flag, else the profile, else the (embedded) default."""


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
    capabilities: frozenset[str] = frozenset(CAPABILITIES)
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
    requirements: frozenset[str] = frozenset()
    """Requirement IDs to run (--requirement), beside the areas of --only."""
    exitfirst: bool = False
    """Stop the run at the first gated failure (--exitfirst); the cases not run then skip."""
    rate_limit: float | None = None
    """Requests (and stream upgrades) started per second at most (--rate-limit)."""
    headers: tuple[tuple[str, str], ...] = ()
    """Extra headers on every request and upgrade (--header), for gateways."""
    proxy: str | None = None
    """An HTTP(S) proxy every request and stream goes through (--proxy)."""
    tls_verify: bool = True
    """Whether the target's TLS certificate is verified (--tls-verify false: not)."""
    cacert: Path | None = None
    """A CA bundle that verifies the target's certificate (--cacert), beside the system's."""
    allow_unverified: frozenset[str] = frozenset()
    """Areas and capabilities (upper-cased) that may go unverified without failing the run."""
    waiver_lines: dict[str, str] = field(default_factory=dict)
    """Where each known-failing waiver is written (FILE:LINE), for a stale waiver's message."""

    def __post_init__(self) -> None:
        if not self.ws_target and self.target:
            object.__setattr__(self, "ws_target", derive_ws_url(self.target))

    @classmethod
    def resolve(cls, flags: Flags, profile: Profile, env: Mapping[str, str]) -> RunConfig:
        """The configuration, built once: each setting from its flag, else the profile, else
        the environment (DEEPGRAM_API_KEY), else its default. Without a target (flag or
        profile) it is the plan of a run against the embedded reference server, whose own
        defaults apply; `against` completes it once that server is up."""
        target = _given(flags, "target") or profile.get("target")
        embedded = target is None
        plain = {}
        for setting in PLAIN:
            value = profile.pick(_given(flags, setting.name), setting.key)
            if value is None and embedded:
                value = setting.embedded
            if value is not None:
                plain[setting.name] = value
        api_key = _given(flags, "api_key") or env.get("DEEPGRAM_API_KEY")
        if not embedded and not api_key:
            raise UsageError("--target needs an API key: give --api-key or set DEEPGRAM_API_KEY")
        scheme = AuthScheme(profile.pick(_given(flags, "auth_scheme"), "auth_scheme") or "token")
        api_key_id = profile.pick(_given(flags, "api_key_id"), "api_key_id")
        strict = _given(flags, "strict")
        only = _given(flags, "only") or [area(a) for a in profile.get("only") or []]
        contract = catalogue.load()
        known_failing = _given(flags, "known_failing")
        report_dir = _given(flags, "report_dir")
        deviations = profile.deviations_file()
        baseline = _given(flags, "baseline")
        waived = regress.read_waivers(known_failing, contract) if known_failing else []
        examples = plain.get("examples", DEFAULT_EXAMPLES)
        if examples < 1:
            raise UsageError(f"--examples must be 1 or more, not {examples}")
        allowed = _given(flags, "allow_unverified") or profile.get("allow_unverified") or []
        requirements = _given(flags, "requirement") or profile.get("requirements") or []
        unknown = sorted(set(requirements) - {r.id for r in contract.requirements})
        if unknown:
            raise UsageError(f"--requirement: unknown requirement {', '.join(unknown)}")
        cacert = profile.pick(_given(flags, "cacert"), "cacert")
        if cacert is not None and not Path(cacert).is_file():
            raise UsageError(f"--cacert {cacert}: no such file")
        return cls(
            target=normalise_target(target) if target else "",
            credentials=Credentials(api_key or "", scheme, None if embedded else api_key_id),
            areas=frozenset(only),
            strict=bool(strict) if strict is not None else profile.get("gate") == "SHOULD",
            capabilities=frozenset(
                profile.pick(_given(flags, "capabilities"), "capabilities") or CAPABILITIES
            ),
            timing=Timing(
                scale=profile.pick(_given(flags, "time_scale"), "timing.time_scale") or 1.0,
                observation_base=EMBEDDED_OBSERVATION if embedded else Timing.observation_base,
            ),
            concurrency=Concurrency.of(profile.concurrency(_given(flags, "concurrency"))),
            budget=profile.budget(_given(flags, "budget")),
            embedded=embedded,
            report_dir=report_dir or Path("reports"),
            baseline=regress.baseline(baseline) if baseline else None,
            waivers={w.requirement_id: w.reason for w in waived},
            waiver_lines={w.requirement_id: w.where for w in waived},
            allow_unverified=frozenset(unverifiable(name) for name in allowed),
            requirements=frozenset(requirements),
            exitfirst=bool(_given(flags, "exitfirst")),
            headers=tuple(profile.headers(_given(flags, "header"))),
            cacert=Path(cacert) if cacert is not None else None,
            deviations=regress.waivers(deviations, contract, "deviations") if deviations else {},
            deviations_source=str(deviations) if deviations else None,
            profile=profile.data,
            profile_source=profile.source,
            **plain,
        )

    def against(self, server: EmbeddedServer) -> RunConfig:
        """This plan completed with the embedded server it runs against: its address, its key
        and project (the WebSocket base follows the address unless one was given)."""
        return replace(
            self,
            target=server.url,
            ws_target=self.ws_target or derive_ws_url(server.url),
            credentials=replace(
                self.credentials, api_key=server.api_key, api_key_id=server.api_key_id
            ),
            project_id=server.project_id,
        )

    def selects(self, requirement: Requirement) -> bool:
        """Whether `--only` and `--requirement` let this requirement run (its prerequisites
        run too: engine.select)."""
        if not self.areas and not self.requirements:
            return True
        return requirement.area in self.areas or requirement.id in self.requirements

    def declares(self, capability: str) -> bool:
        """Whether the target declares an optional capability."""
        return capability in self.capabilities

    def case_deadline(self, requirement: Requirement) -> float:
        """How long one case may run: a case that waits for callback deliveries waits out the
        target's whole retry schedule."""
        if requirement.waits == "callbacks":
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


def area(name: str) -> str:
    """An area named on the command line or in a profile, upper-cased; one-line error if
    unknown."""
    if name.upper() not in AREAS:
        raise UsageError(f"unknown area {name!r}; areas: {', '.join(AREAS)}")
    return name.upper()


def unverifiable(name: str) -> str:
    """An area or capability --allow-unverified names, upper-cased; one-line error if
    unknown."""
    known = (*AREAS, *(c.upper() for c in CAPABILITIES))
    if name.upper() not in known:
        raise UsageError(
            f"--allow-unverified: unknown area or capability {name!r}; "
            f"areas: {', '.join(AREAS)}; capabilities: {', '.join(CAPABILITIES)}"
        )
    return name.upper()


def _given(flags: Flags, name: str) -> Any:
    """A flag's value when it was given (an empty list counts as not given)."""
    value = flags.get(name)
    return None if value == [] else value
