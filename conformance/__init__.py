"""Conformance suite for speech APIs that speak Deepgram's protocol."""

__version__ = "0.1.0"
