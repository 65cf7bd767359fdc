"""TLS for the suite's receiver: a certificate authority made at run time, one per process,
whose certificates the receiver serves https and wss callbacks with, and which the embedded
reference server is told to trust (a remote target needs a public https URL instead)."""

from __future__ import annotations

import atexit
import contextlib
import os
import tempfile
from functools import cache

import trustme

CA_FILE_ENV = "CONFORMANCE_REFERENCE_CA_FILE"
"""The environment variable naming the CA file the embedded reference server trusts."""


@cache
def _authority() -> trustme.CA:
    """This process's certificate authority."""
    return trustme.CA(organization_name="conformance suite (test only)")


def _written(data: bytes, suffix: str) -> str:
    """A private temporary file holding data, removed when the process exits."""
    handle, path = tempfile.mkstemp(prefix="conformance-", suffix=suffix)
    with os.fdopen(handle, "wb") as file:
        file.write(data)
    atexit.register(_remove, path)
    return path


def _remove(path: str) -> None:
    """Delete a file this process wrote, if it is still there."""
    with contextlib.suppress(OSError):
        os.remove(path)


@cache
def ca_file() -> str:
    """The authority's certificate as a PEM file: what a client must trust."""
    return _written(_authority().cert_pem.bytes(), ".ca.pem")


@cache
def server_files(host: str) -> tuple[str, str]:
    """(certificate chain, private key) PEM files for a server at host (a name or address)."""
    issued = _authority().issue_cert(host)
    chain = b"".join(blob.bytes() for blob in issued.cert_chain_pems)
    return _written(chain, ".cert.pem"), _written(issued.private_key_pem.bytes(), ".key.pem")
