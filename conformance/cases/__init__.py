"""The cases, one module per area (a package per large area); importing this package registers
them all."""

from __future__ import annotations

from conformance.cases import (
    auth,
    callback,
    extra,
    fuzz,
    keys,
    listen,
    projects,
    speak,
    speak_headers,
    speak_rest,
    stream,
    tag,
)
from conformance.cases.kit.registry import REGISTRY, Case, case

__all__ = [
    "REGISTRY",
    "Case",
    "auth",
    "callback",
    "case",
    "extra",
    "fuzz",
    "keys",
    "listen",
    "projects",
    "speak",
    "speak_headers",
    "speak_rest",
    "stream",
    "tag",
]
