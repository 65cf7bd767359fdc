"""The command line; `conformance` runs main."""

from __future__ import annotations

from conformance.cli.commands import main

__all__ = ["main"]
