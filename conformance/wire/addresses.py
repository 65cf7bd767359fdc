"""Where an address points: this machine, a private network, or the internet; the one place the
suite decides whether a target can reach its receiver and whether a refusal may be a policy."""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit


def ipv4_loopback(host: str) -> bool:
    """Whether the host is localhost or an IPv4 loopback address (127.0.0.0/8): one the
    receiver can bind, and a target on this machine can reach."""
    if host == "localhost":
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.version == 4 and address.is_loopback


def is_private(host: str) -> bool:
    """Whether the host is loopback or in a private network: a careful target refuses to send
    callbacks or fetch audio there (SSRF protection), so such a refusal may be policy."""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host == "localhost"
    return address.is_loopback or address.is_private


def reaches_this_machine(url: str) -> bool:
    """Whether a URL's host is this machine (by name or by every address it resolves to), so a
    target there can reach the suite's loopback receiver."""
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        try:
            return all(
                ipaddress.ip_address(info[4][0]).is_loopback
                for info in socket.getaddrinfo(host, None)
            )
        except OSError:
            return False
