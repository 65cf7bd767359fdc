"""PROJECTS: the management API a client's tooling reads beside keys and the request record."""

from __future__ import annotations

from conformance.cases.projects import account, requests, usage

__all__ = ["account", "requests", "usage"]
