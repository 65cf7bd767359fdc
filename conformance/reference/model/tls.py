"""One TLS context for every outgoing client (audio fetches, callbacks): building one costs
tens of milliseconds of CPU, more than the rest of a request."""

from __future__ import annotations

import os
import ssl
from functools import cache

import httpx

CA_FILE_ENV = "CONFORMANCE_REFERENCE_CA_FILE"
"""A PEM file of an extra authority to trust: the suite's, for its https and wss callbacks."""


@cache
def client_context() -> ssl.SSLContext:
    """The default verifying context, built once and shared by every httpx client, trusting
    the authority $CONFORMANCE_REFERENCE_CA_FILE names as well, when it names one."""
    context = httpx.create_ssl_context(trust_env=False)
    extra = os.environ.get(CA_FILE_ENV)
    if extra:
        context.load_verify_locations(cafile=extra)
    return context
