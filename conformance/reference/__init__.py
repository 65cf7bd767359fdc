"""The reference server: a faithful implementation of the contract, never imported by the suite."""

from .app import create_app
from .model.faults import FAULTS, Fault
from .model.settings import DEFAULT_API_KEY, DEFAULT_API_KEY_ID, DEFAULT_PROJECT_ID, Settings

__all__ = [
    "DEFAULT_API_KEY",
    "DEFAULT_API_KEY_ID",
    "DEFAULT_PROJECT_ID",
    "FAULTS",
    "Fault",
    "Settings",
    "create_app",
]
