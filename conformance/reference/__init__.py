"""The reference server: a faithful implementation of the contract, never imported by the suite."""

from .app import create_app
from .faults import FAULTS
from .settings import Settings

__all__ = ["FAULTS", "Settings", "create_app"]
