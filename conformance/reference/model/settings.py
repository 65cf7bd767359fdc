"""What one reference server instance is configured to be: credentials, faults, variants and
policies."""

from __future__ import annotations

from dataclasses import dataclass, field

from .faults import Fault, unknown_faults
from .variants import Variant, unknown_variants

DEFAULT_API_KEY = "dev-api-key"
"""The documented development key, so clients can connect without configuration."""

DEFAULT_API_KEY_ID = "a1b2c3d4-0000-4000-8000-000000000001"
DEFAULT_PROJECT_ID = "a1b2c3d4-0000-4000-8000-0000000000aa"


@dataclass(frozen=True)
class Settings:
    """Immutable server configuration; faults and variants are validated so a typo never runs a
    clean server."""

    api_key: str = DEFAULT_API_KEY
    api_key_id: str = DEFAULT_API_KEY_ID
    project_id: str = DEFAULT_PROJECT_ID
    faults: frozenset[str] = field(default_factory=frozenset)
    variants: frozenset[str] = field(default_factory=frozenset)
    """Attested live behaviours imitated (variants.py); kept where a stream drops the faults."""
    allow_private_urls: bool = False
    """Let audio URLs resolve to loopback or private addresses."""
    allow_private_callbacks: bool = False
    """Let callback URLs resolve to loopback or private addresses."""
    retry_delay: float = 30.0
    """Seconds between callback delivery attempts."""
    retry_count: int = 10
    """Callback retries after a failed first attempt (10: eleven attempts in all)."""
    callback_timeout: float = 10.0
    """Seconds one callback attempt may take before it counts as failed."""
    stream_idle_timeout: float = 10.0
    """Seconds a stream may go without any frame before it is ended (Metadata, close 1011)."""

    def __post_init__(self) -> None:
        """Refuse unknown fault or variant names and an empty API key."""
        bad = unknown_faults(sorted(self.faults))
        if bad:
            raise ValueError(f"unknown fault {bad[0]!r}")
        odd = unknown_variants(sorted(self.variants))
        if odd:
            raise ValueError(f"unknown variant {odd[0]!r}")
        if not self.api_key:
            raise ValueError("the API key must not be empty")

    def has(self, fault: Fault) -> bool:
        """Whether a fault switch is on."""
        return fault in self.faults

    def imitates(self, variant: Variant) -> bool:
        """Whether a variant switch is on."""
        return variant in self.variants
