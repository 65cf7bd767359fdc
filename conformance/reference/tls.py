"""One TLS context for every outgoing client (audio fetches, callbacks): building one costs
tens of milliseconds of CPU, more than the rest of a request."""

from __future__ import annotations

import ssl
from functools import cache

import httpx


@cache
def client_context() -> ssl.SSLContext:
    """The default verifying context, built once and shared by every httpx client."""
    return httpx.create_ssl_context(trust_env=False)
