"""The tag and extra query parameters: validated apart from the others, so that
accept-invalid-params (which loosens value domains) never loosens their documented limits."""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import quote_plus

from .errors import bad_request
from .faults import Fault
from .settings import Settings

TAG_LIMIT = 128
"""Characters per tag."""
EXTRA_LIMIT = 2048
"""Characters per extra KEY:VALUE pair, as sent."""


def _limit(documented: int, settings: Settings, too_low: bool, unenforced: bool) -> int | None:
    """A documented limit as the fault switches bend it (None: no limit)."""
    if unenforced:
        return None
    return documented - 1 if too_low else documented


def parse_tags(items: Sequence[tuple[str, str]], settings: Settings) -> tuple[str, ...]:
    """Every tag of the request, in order, refusing any longer than the documented limit."""
    tags = tuple(value for name, value in items if name == "tag")
    if len(tags) > 1 and settings.has(Fault.TAG_REPEAT_REFUSED):
        raise bad_request("Only one `tag` may be given.")
    limit = _limit(
        TAG_LIMIT,
        settings,
        settings.has(Fault.TAG_LIMIT_TOO_LOW),
        settings.has(Fault.TAG_LIMIT_UNENFORCED),
    )
    for tag in tags:
        if limit is not None and len(tag) > limit:
            raise bad_request(f"A `tag` is {len(tag)} characters long; at most {limit} allowed.")
    return tags


def _split(pair: str, settings: Settings) -> tuple[str, str]:
    """KEY:VALUE split at the first colon (the last one under extra-split-last-colon)."""
    if ":" not in pair:
        if settings.has(Fault.EXTRA_NO_COLON_ACCEPTED):
            return pair, ""
        raise bad_request(f"An `extra` value must be KEY:VALUE; {pair[:40]!r} has no colon.")
    if settings.has(Fault.EXTRA_SPLIT_LAST_COLON):
        key, _, value = pair.rpartition(":")
    else:
        key, _, value = pair.partition(":")
    return key, value


def _mangle(text: str, settings: Settings) -> str:
    """What the decoding faults do to a key or value on its way back."""
    if settings.has(Fault.EXTRA_NOT_DECODED):
        text = quote_plus(text, safe=":")
    if settings.has(Fault.EXTRA_ASCII_ONLY):
        text = text.encode("ascii", "ignore").decode("ascii")
    return text


def parse_extra(items: Sequence[tuple[str, str]], settings: Settings) -> dict[str, str]:
    """The extra pairs as metadata.extra: the last value of a repeated key wins."""
    limit = _limit(
        EXTRA_LIMIT,
        settings,
        settings.has(Fault.EXTRA_LIMIT_TOO_LOW),
        settings.has(Fault.EXTRA_LIMIT_UNENFORCED),
    )
    pairs = []
    for name, pair in items:
        if name != "extra":
            continue
        if limit is not None and len(pair) > limit:
            raise bad_request(
                f"An `extra` pair is {len(pair)} characters long; at most {limit} allowed."
            )
        key, value = _split(pair, settings)
        pairs.append((_mangle(key, settings), _mangle(value, settings)))
    if settings.has(Fault.EXTRA_ONLY_LAST_PAIR):
        pairs = pairs[-1:]
    if settings.has(Fault.EXTRA_FIRST_DUPLICATE_WINS):
        pairs.reverse()
    return dict(pairs)
