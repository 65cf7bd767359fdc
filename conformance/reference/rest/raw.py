"""encoding and sample_rate of POST /v1/listen: how to read a raw, headerless body (the
streaming endpoint reads its own; a container's header wins over both)."""

from __future__ import annotations

import re
from collections.abc import Sequence

from ..model.audio import Raw
from ..model.errors import bad_request
from ..model.faults import Fault
from ..model.settings import Settings

ENCODINGS = frozenset({"linear16", "flac", "mulaw", "amr-nb", "amr-wb", "opus", "speex", "g729"})
"""The official spec's encodings of POST /v1/listen (V1ListenPostParametersEncoding)."""
IGNORED_RATE = 16_000
"""The rate raw-rate-ignored reads every raw body at."""
_INTEGER = re.compile(r"[0-9]+")


def _last(items: Sequence[tuple[str, str]], name: str) -> str | None:
    """The last value of a query parameter, as a repeated one is read."""
    return next((value for key, value in reversed(items) if key == name), None)


def raw_format(items: Sequence[tuple[str, str]], settings: Settings) -> Raw | None:
    """The format a headerless body is in, None without encoding; 400 for a value outside the
    spec's encodings or a sample_rate that is no positive integer."""
    encoding, rate = _last(items, "encoding"), _last(items, "sample_rate")
    if encoding is not None and encoding not in ENCODINGS:
        raise bad_request(
            f"Invalid value for `encoding`: {encoding!r} (expected one of "
            f"{', '.join(sorted(ENCODINGS))})."
        )
    if rate is not None and (not _INTEGER.fullmatch(rate) or int(rate) == 0):
        raise bad_request(f"Invalid value for `sample_rate`: {rate!r} (a positive integer).")
    if encoding is None or settings.has(Fault.RAW_AUDIO_REFUSED):
        return None
    if settings.has(Fault.RAW_RATE_IGNORED):
        return Raw(encoding, IGNORED_RATE)
    return Raw(encoding, int(rate) if rate is not None else None)
