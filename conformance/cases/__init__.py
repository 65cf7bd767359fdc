"""The cases, one module per area; importing this package registers them all."""

from __future__ import annotations

from . import (
    auth,
    callback,
    extra,
    fuzz,
    keys,
    listen,
    listen_bodies,
    listen_formats,
    listen_params,
    listen_values,
    projects,
    speak,
    stream,
    stream_callbacks,
    stream_control,
    tag,
)
from .registry import REGISTRY, Case, case

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
    "listen_bodies",
    "listen_formats",
    "listen_params",
    "listen_values",
    "projects",
    "speak",
    "stream",
    "stream_callbacks",
    "stream_control",
    "tag",
]
