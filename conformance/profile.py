"""Target profiles: what a target implements and how to time it, from TOML; flags override."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any

import jsonschema

from .catalogue import read_schema_file
from .errors import UsageError

CAPABILITIES = ("listen", "callbacks", "speak", "streaming", "keys", "usage", "grant")
"""Optional parts of the contract a target declares; LISTEN and AUTH are always expected."""


def _validate(data: dict[str, Any], where: str) -> dict[str, Any]:
    """Check a profile against schemas/profile.schema.json; one-line error where it breaks."""
    schema = json.loads(read_schema_file("profile.schema.json"))
    errors = jsonschema.Draft202012Validator(schema).iter_errors(data)
    error = jsonschema.exceptions.best_match(errors)
    if error is not None:
        at = ".".join(str(p) for p in error.absolute_path) or "(top)"
        raise UsageError(f"{where}: {at}: {error.message}")
    return data


def load(
    path: Path | None, project_file: Path = Path("pyproject.toml")
) -> tuple[dict[str, Any], str | None]:
    """The profile and where it came from: --profile FILE, else [tool.conformance], else none."""
    if path is not None:
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise UsageError(f"--profile {path}: {exc.strerror or exc}") from None
        except tomllib.TOMLDecodeError as exc:
            raise UsageError(f"--profile {path}: not valid TOML: {exc}") from None
        return _validate(data, str(path)), str(path)
    if project_file.is_file():
        try:
            section = tomllib.loads(project_file.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError:
            return {}, None
        tool = section.get("tool", {}).get("conformance")
        if isinstance(tool, dict):
            return _validate(tool, f"{project_file} [tool.conformance]"), f"{project_file}"
    return {}, None


def pick(flag: Any, profile: dict[str, Any], key: str, default: Any) -> Any:
    """A setting: the flag when given, else the profile's (keys under timing by dotted name)."""
    if flag is not None:
        return flag
    section, _, name = key.rpartition(".")
    source = profile.get(section, {}) if section else profile
    return source.get(name, default)
