"""The callback requirements LISTEN and SPEAK share, registered for both from one table, so the
twins cannot drift apart: cases/callback.py registers CALLBACK-<SUFFIX>, cases/speak.py
SPEAK-CALLBACK-<SUFFIX>."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from conformance.cases.kit import delivery, registry, retries
from conformance.cases.kit.context import CaseContext
from conformance.cases.kit.delivery import Endpoint
from conformance.cases.kit.registry import CaseFunction

Check = Callable[[CaseContext, Endpoint], Awaitable[None]]

TWINS: tuple[tuple[str, Check], ...] = (
    ("ACCEPTED", delivery.check_accepted),
    ("POST", delivery.check_post),
    ("PUT", delivery.check_put),
    ("BASIC-AUTH", delivery.check_basic_auth),
    ("BASIC-AUTH-HIDDEN", delivery.check_basic_auth_hidden),
    ("DG-TOKEN", delivery.check_dg_token),
    ("HTTPS", delivery.check_https),
    ("PORT-ALLOWED", delivery.check_ports_allowed),
    ("PORT-REFUSED", delivery.check_ports_refused),
    ("PROTOCOLS", delivery.check_protocols),
    ("RETRY", retries.check_retried),
    ("RETRY-LIMIT", retries.check_limit),
    ("RETRY-DELAY", retries.check_delay),
    ("RETRY-STOPS", retries.check_stops),
    ("RETRY-UNANSWERED", retries.check_unanswered),
)
"""Each requirement's suffix and the check that judges it for either endpoint (DELIVERY is not
here: a transcription and audio are judged differently)."""


def _bound(check: Check, endpoint: Endpoint) -> CaseFunction:
    """The check as a case of one endpoint's requirement."""

    async def run(ctx: CaseContext) -> None:
        await check(ctx, endpoint)

    return run


def register(endpoint: Endpoint) -> None:
    """Register every twin as a case of `endpoint`'s requirement of that suffix, named after its
    check and the endpoint (kit.delivery.check_put[speak])."""
    for suffix, check in TWINS:
        module = check.__module__.removeprefix("conformance.cases.")
        registry.register(
            f"{endpoint.prefix}-{suffix}",
            f"{module}.{check.__name__}[{endpoint.name}]",
            _bound(check, endpoint),
        )
