"""The project's API keys: the development key plus every key created through the API."""

from __future__ import annotations

import hmac
import secrets
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from .faults import Fault
from .settings import Settings


def iso(moment: float) -> str:
    """ISO-8601 UTC with a Z, as the management API writes timestamps."""
    stamp = datetime.fromtimestamp(moment, UTC).isoformat(timespec="seconds")
    return stamp.replace("+00:00", "Z")


@dataclass
class ApiKey:
    """One API key: its public identifier, its secret, and what the API shows about it."""

    api_key_id: str
    secret: str
    comment: str
    scopes: tuple[str, ...]
    tags: tuple[str, ...]
    created: str
    expiration_date: str | None = None
    development: bool = False
    """The key the server was started with (never deleted by the suite's cleanups)."""
    deleted: bool = False


@dataclass
class KeyStore:
    """Keys by identifier; the key faults bend what authenticates and what is listed."""

    settings: Settings
    clock: Callable[[], float]
    _keys: dict[str, ApiKey] = field(default_factory=dict)

    def __post_init__(self) -> None:
        """Seed the development key the server was started with."""
        self._keys[self.settings.api_key_id] = ApiKey(
            api_key_id=self.settings.api_key_id,
            secret=self.settings.api_key,
            comment="development key",
            scopes=("member",),
            tags=(),
            created=iso(self.clock()),
            development=True,
        )

    def create(
        self,
        comment: str,
        scopes: Sequence[str],
        tags: Sequence[str] = (),
        expiration_date: str | None = None,
    ) -> ApiKey:
        """A new key with a fresh identifier and secret."""
        key = ApiKey(
            api_key_id=str(uuid.uuid4()),
            secret=secrets.token_hex(20),
            comment="API key" if self.settings.has(Fault.KEY_LABEL_REPLACED) else comment,
            scopes=tuple(scopes),
            tags=tuple(tags),
            created=iso(self.clock()),
            expiration_date=expiration_date,
        )
        self._keys[key.api_key_id] = key
        return key

    def _usable(self, key: ApiKey) -> bool:
        """Whether a key authenticates, as the faults would have it."""
        if key.deleted and not self.settings.has(Fault.DELETED_KEY_STILL_WORKS):
            return False
        return key.development or not self.settings.has(Fault.NEW_KEY_NOT_ACTIVE)

    def by_secret(self, secret: str) -> ApiKey | None:
        """The key whose secret this is, if it authenticates."""
        for key in self._keys.values():
            if hmac.compare_digest(key.secret.encode(), secret.encode()) and self._usable(key):
                return key
        return None

    def by_pair(self, api_key_id: str, secret: str) -> ApiKey | None:
        """The key for a legacy Basic key:secret pair, if it authenticates."""
        if self.settings.has(Fault.LEGACY_PAIR_REFUSED):
            return None
        key = self.by_secret(secret)
        return key if key is not None and key.api_key_id == api_key_id else None

    def get(self, api_key_id: str) -> ApiKey | None:
        """A key that exists (not deleted)."""
        key = self._keys.get(api_key_id)
        return None if key is None or key.deleted else key

    def listed(self) -> list[ApiKey]:
        """The keys a listing shows, oldest first."""
        keys = [k for k in self._keys.values() if not k.deleted]
        if self.settings.has(Fault.LIST_OMITS_NEW_KEYS):
            keys = [k for k in keys if k.development]
        return keys

    def delete(self, api_key_id: str) -> bool:
        """Delete a key; False when there is no such key."""
        key = self.get(api_key_id)
        if key is None:
            return False
        key.deleted = True
        return True
