"""STREAM: live transcription over WebSocket, its control frames and its callbacks."""

from __future__ import annotations

from conformance.cases.stream import agent, callbacks, control, features, messages

__all__ = ["agent", "callbacks", "control", "features", "messages"]
