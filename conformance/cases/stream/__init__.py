"""STREAM: live transcription over WebSocket, its control frames and its callbacks."""

from __future__ import annotations

from conformance.cases.stream import callbacks, control, messages

__all__ = ["callbacks", "control", "messages"]
