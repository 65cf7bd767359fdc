"""LISTEN: pre-recorded transcription, its bodies, containers, parameters and value lists."""

from __future__ import annotations

from conformance.cases.listen import (
    bodies,
    channels,
    defaults,
    features,
    formats,
    headers,
    intelligence,
    params,
    raw,
    transcript,
    values,
)

__all__ = [
    "bodies",
    "channels",
    "defaults",
    "features",
    "formats",
    "headers",
    "intelligence",
    "params",
    "raw",
    "transcript",
    "values",
]
