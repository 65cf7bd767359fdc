"""Variant switches: each imitates one behaviour the live service is attested to show.

Faults prove each check can fail; variants are their converse: the suite must never fail a MUST
or SHOULD requirement against any of them (tests/matrix/test_variant_matrix.py), and
`conformance serve --variant NAME` lets client developers mock the production behaviour. The
evidence for each one is cited beside it (issue 14).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Literal

Variant = Literal[
    "finals-shorter",
    "bare-request-record",
    "speak-429",
    "terse-errors",
    "post-only-stream-callbacks",
    "current-limits",
    "no-flush-without-audio",
    "zero-channels-empty-stream",
    "lenient-params",
]
"""Every variant name, as a type so that a misspelt switch is a type error rather than a no-op."""

_DESCRIPTIONS: dict[Variant, str] = {
    # https://developers.deepgram.com/docs/understand-endpointing-interim-results (interim
    # 0.000-4.300, final 0.000-3.260, final 3.260-5.500) and /docs/using-interim-results ("final
    # transcripts may end early").
    "finals-shorter": "a streaming final may end before the interim that preceded it; "
    "the next final covers the rest",
    # python-sdk deepgram/clients/manage/v1/async_client.py + response.py (UsageRequest read
    # bare), js-sdk src/lib/types/GetProjectUsageRequestsResponse.ts, and the example payload of
    # https://developers.deepgram.com/docs/using-logs-usage ("callback": null).
    "bare-request-record": "GET .../requests/{request_id} answers the bare record, "
    'without the {"request": ...} wrapper, with "callback": null',
    # https://developers.deepgram.com/reference/api-rate-limits (deepgram-docs
    # fern/docs/api-rate-limits.mdx @ 19186688: TTS REST "Up to 5 requests") and the 429 body
    # of https://developers.deepgram.com/docs/errors.
    "speak-429": "POST /v1/speak answers 429 TOO_MANY_REQUESTS past 5 requests in flight",
    # https://developers.deepgram.com/docs/errors (deepgram-docs fern/docs/errors.mdx @ 0b2cb5b:
    # a plain-text 404, {"err_code": "PROJECT_NOT_FOUND", ...} without request_id).
    "terse-errors": "unknown routes answer a text/plain 404 and JSON error bodies carry "
    "no request_id",
    # https://developers.deepgram.com/docs/callback ("Streaming Audio": POST) and
    # deepgram-rust-sdk PR #85 (callback_method "only respected for pre-recorded requests").
    "post-only-stream-callbacks": "streaming http(s) callbacks are always POST; "
    "callback_method is ignored",
    # https://developers.deepgram.com/docs/search ("up to 50 search terms") and
    # https://developers.deepgram.com/docs/keywords ("limited to 100 keywords per request").
    "current-limits": "search takes up to 50 terms and keywords up to 100 (the current /v1 "
    "pages), one more is refused with 400",
    # https://developers.deepgram.com/docs/finalize (deepgram-docs fern/docs/finalize.mdx @
    # 350aacb: "not guaranteed if there is no significant amount of audio data to process").
    "no-flush-without-audio": "Finalize with less than 0.75 s of unfinalized audio sends "
    "no from_finalize Results (the stream stays open)",
    # https://developers.deepgram.com/docs/close-stream example (deepgram-docs
    # fern/docs/close-stream.mdx @ b1f5411) and deepgram-js-sdk issue #336 (live capture).
    "zero-channels-empty-stream": "a stream closed without audio ends with Metadata channels 0, "
    "duration 0.0 and no models",
    # OpenAPI /v1/listen utt_split (no minimum; alternatives is not a parameter there),
    # https://developers.deepgram.com/docs/utterance-split (no range, no error).
    "lenient-params": "utt_split <= 0 and alternatives=0 are accepted and ignored (200), "
    "not refused",
}

VARIANTS: Mapping[str, str] = MappingProxyType(dict(sorted(_DESCRIPTIONS.items())))
"""Variant name -> the one-line description shown by --list-variants, sorted by name."""


def unknown_variants(names: Iterable[str]) -> list[str]:
    """The names that are not variants, in the order given, so callers can report the first."""
    return [name for name in names if name not in VARIANTS]
