"""STREAM: live transcription over WebSocket, its control frames and its callbacks; and SPEAK's
text to speech over WebSocket."""

from __future__ import annotations

from conformance.cases.stream import (
    agent,
    callbacks,
    control,
    features,
    messages,
    speak,
    upgrade,
)

__all__ = ["agent", "callbacks", "control", "features", "messages", "speak", "upgrade"]
