"""The cases, one module per area; importing this package registers them all."""

from __future__ import annotations

from . import auth, listen, listen_params
from .registry import REGISTRY, Case, case

__all__ = ["REGISTRY", "Case", "auth", "case", "listen", "listen_params"]
