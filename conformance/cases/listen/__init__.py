"""LISTEN: pre-recorded transcription, its bodies, containers, parameters and value lists."""

from __future__ import annotations

from conformance.cases.listen import (
    bodies,
    features,
    formats,
    headers,
    intelligence,
    params,
    transcript,
    values,
)

__all__ = [
    "bodies",
    "features",
    "formats",
    "headers",
    "intelligence",
    "params",
    "transcript",
    "values",
]
