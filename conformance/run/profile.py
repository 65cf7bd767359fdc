"""Target profiles: what a target implements and how to time it, from TOML; flags override."""

from __future__ import annotations

import json
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema

from conformance.contract.catalogue import read_schema_file
from conformance.errors import UsageError
from conformance.wire.cost import Budget

REST_ENDPOINTS = ("listen", "speak", "manage")
"""What a plain number of requests in flight (--concurrency N, timing.concurrency) caps."""


def _validate(data: dict[str, Any], where: str) -> dict[str, Any]:
    """Check a profile against schemas/profile.schema.json; one-line error where it breaks."""
    schema = json.loads(read_schema_file("profile.schema.json"))
    errors = jsonschema.Draft202012Validator(schema).iter_errors(data)
    error = jsonschema.exceptions.best_match(errors)
    if error is not None:
        at = ".".join(str(p) for p in error.absolute_path) or "(top)"
        raise UsageError(f"{where}: {at}: {error.message}")
    return data


BUILT_IN = Path(__file__).parents[1] / "profiles"
"""Profiles shipped with the tool, chosen by name (--profile deepgram)."""


def built_in_names() -> list[str]:
    """The names --profile accepts without a file."""
    return sorted(path.stem for path in BUILT_IN.glob("*.toml"))


def resolve(value: str) -> Path:
    """A --profile value as a file: a bare name (no path separator, no .toml) is built in."""
    if "/" in value or os.sep in value or value.endswith(".toml"):
        return Path(value)
    path = BUILT_IN / f"{value}.toml"
    if not path.is_file():
        raise UsageError(
            f"--profile {value}: no built-in profile of that name; built-in profiles: "
            f"{', '.join(built_in_names())} (a profile file needs a / or a .toml name)"
        )
    return path


@dataclass(frozen=True)
class Profile:
    """A target profile as read: its settings, and the file they came from (None: no profile)."""

    data: dict[str, Any] = field(default_factory=dict)
    source: str | None = None

    def get(self, key: str) -> Any:
        """A setting by name (keys under a table by dotted name, e.g. timing.pace), or None."""
        section, _, name = key.rpartition(".")
        table = self.data.get(section, {}) if section else self.data
        return table.get(name)

    def pick(self, flag: Any, key: str) -> Any:
        """A setting: the flag when given, else the profile's, else None."""
        return flag if flag is not None else self.get(key)

    def deviations_file(self) -> Path | None:
        """The profile's known-deviations file, named relative to the profile itself."""
        name = self.data.get("deviations")
        if not name or self.source is None:
            return None
        return Path(self.source).parent / str(name)

    def concurrency(self, flag: dict[str, int] | None) -> dict[str, int]:
        """Per-endpoint caps: timing.concurrency (every REST endpoint), then the [concurrency]
        table, then the flag, each overriding what came before it."""
        caps: dict[str, int] = {}
        legacy = self.get("timing.concurrency")
        if legacy is not None:
            caps.update(dict.fromkeys(REST_ENDPOINTS, int(legacy)))
        caps.update(self.data.get("concurrency", {}))
        caps.update(flag or {})
        return caps

    def headers(self, flag: list[tuple[str, str]] | None) -> list[tuple[str, str]]:
        """Extra request headers: the [headers] table, a flag's header of the same name (any
        case) replacing the profile's."""
        given = list(flag or [])
        names = {name.lower() for name, _ in given}
        table = self.data.get("headers", {})
        return [(n, str(v)) for n, v in table.items() if n.lower() not in names] + given

    def budget(self, flag: dict[str, float] | None) -> Budget:
        """The run's budget: the [budget] table, each of its keys overridden by the flag's."""
        return Budget.of({**self.data.get("budget", {}), **(flag or {})})


EMPTY = Profile()
"""No profile: what selftest and the tests resolve against (never the working directory's)."""


def load(value: str | Path | None, project_file: Path = Path("pyproject.toml")) -> Profile:
    """The profile: --profile FILE or NAME, else ./pyproject.toml's [tool.conformance], else
    none."""
    if value is not None:
        path = resolve(str(value))
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise UsageError(f"--profile {path}: {exc.strerror or exc}") from None
        except tomllib.TOMLDecodeError as exc:
            raise UsageError(f"--profile {path}: not valid TOML: {exc}") from None
        return Profile(_validate(data, str(path)), str(path))
    if project_file.is_file():
        try:
            section = tomllib.loads(project_file.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError:
            return EMPTY
        tool = section.get("tool", {}).get("conformance")
        if isinstance(tool, dict):
            return Profile(_validate(tool, f"{project_file} [tool.conformance]"), f"{project_file}")
    return EMPTY
