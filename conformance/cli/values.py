"""The values flags take: each converter parses one flag's text, or says in one line why not
(argparse turns that into the one-line usage error)."""

from __future__ import annotations

import argparse

from conformance.contract.catalogue import AREAS, CAPABILITIES
from conformance.run import profile
from conformance.wire.cost import parse_budget
from conformance.wire.limits import ENDPOINTS


def positive(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be greater than 0, not {text}")
    return value


def count(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, not {text}")
    return value


def at_least_one(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, not {text}")
    return value


RATE_UNITS = {"s": 1.0, "m": 60.0, "h": 3600.0}
"""--rate-limit's units: per second, minute or hour."""


def rate(text: str) -> float:
    """N/s, N/m or N/h (a bare N is per second) as requests per second."""
    number, _, unit = text.strip().partition("/")
    try:
        count = float(number)
    except ValueError:
        count = -1.0
    if unit not in {"", *RATE_UNITS} or not count > 0:
        raise argparse.ArgumentTypeError(f"must be N/s, N/m or N/h with N above 0, not {text!r}")
    return count / RATE_UNITS.get(unit, 1.0)


def header(text: str) -> tuple[str, str]:
    """'NAME: VALUE' as a pair; the name a valid header token."""
    name, colon, value = text.partition(":")
    name = name.strip()
    if not colon or not name or any(c in name for c in ' \t()<>@,;"/[]?={}'):
        raise argparse.ArgumentTypeError(f"must be 'NAME: VALUE', not {text!r}")
    return name, value.strip()


def boolean(text: str) -> bool:
    """true/false (yes/no, 1/0, on/off)."""
    lowered = text.strip().lower()
    if lowered in {"true", "yes", "1", "on"}:
        return True
    if lowered in {"false", "no", "0", "off"}:
        return False
    raise argparse.ArgumentTypeError(f"must be true or false, not {text!r}")


def proxy(text: str) -> str:
    if not text.startswith(("http://", "https://")):
        raise argparse.ArgumentTypeError(f"must be an http:// or https:// URL, not {text!r}")
    return text


def capabilities(text: str) -> frozenset[str]:
    names = frozenset(n.strip() for n in text.split(",") if n.strip())
    unknown = sorted(names - set(CAPABILITIES))
    if unknown:
        raise argparse.ArgumentTypeError(
            f"unknown capability {', '.join(unknown)}; capabilities: {', '.join(CAPABILITIES)}"
        )
    return names


def concurrency(text: str) -> dict[str, int]:
    if text.isdigit():
        caps = dict.fromkeys(profile.REST_ENDPOINTS, int(text))
    else:
        caps = {}
        for pair in (p.strip() for p in text.split(",") if p.strip()):
            name, _, number = pair.partition("=")
            if name not in ENDPOINTS or not number.isdigit():
                raise argparse.ArgumentTypeError(
                    f"{pair!r} is not ENDPOINT=N; endpoints: {', '.join(ENDPOINTS)}"
                )
            caps[name] = int(number)
    if not caps or min(caps.values()) < 1:
        raise argparse.ArgumentTypeError(f"must be N or ENDPOINT=N with N of 1 or more, not {text}")
    return caps


def budget(text: str) -> dict[str, float]:
    try:
        return parse_budget(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def area(text: str) -> str:
    area = text.upper()
    if area not in AREAS:
        raise argparse.ArgumentTypeError(f"unknown area {text!r}; areas: {', '.join(AREAS)}")
    return area
