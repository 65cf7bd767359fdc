"""Which addresses and ports a client-supplied URL (audio or callback) may reach, REST or stream."""

from __future__ import annotations

import ipaddress

ALLOWED_PORTS = frozenset({80, 443, 8080, 8443})
"""The only ports a callback URL may name."""
DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}
"""The port a callback URL without one reaches, by scheme."""


def is_public_address(address: str) -> bool:
    """Whether an IP address is globally routable unicast (not loopback, private, link-local...)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast
