"""The LISTEN and SPEAK callback twins come from one table: each shared requirement is judged by
the same check for both endpoints, and no hand-written twin is left to drift."""

from __future__ import annotations

import asyncio
from typing import cast

import pytest

from conformance.cases import REGISTRY
from conformance.cases.kit import delivery, registry, twins
from conformance.cases.kit.context import CaseContext
from conformance.cases.kit.delivery import LISTEN, SPEAK, Endpoint
from conformance.contract import catalogue
from conformance.errors import CheckFailed

CTX = cast(CaseContext, object())
"""A stand-in context for checks that never touch it."""


def test_every_twin_is_registered_once_for_each_endpoint() -> None:
    for suffix, check in twins.TWINS:
        for endpoint in (LISTEN, SPEAK):
            found = [c for c in REGISTRY if c.requirement_id == f"{endpoint.prefix}-{suffix}"]
            assert [c.name for c in found] == [
                f"{check.__module__.removeprefix('conformance.cases.')}.{check.__name__}"
                f"[{endpoint.name}]"
            ]


def test_every_requirement_both_endpoints_have_is_in_the_table_but_delivery() -> None:
    ids = {r.id for r in catalogue.load().requirements}
    shared = {
        i.removeprefix("CALLBACK-")
        for i in ids
        if i.startswith("CALLBACK-") and f"SPEAK-{i}" in ids
    }
    assert shared - {suffix for suffix, _ in twins.TWINS} == {"DELIVERY"}


def test_a_twin_runs_its_check_for_its_own_endpoint(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[CaseContext, Endpoint]] = []

    async def check_x(ctx: CaseContext, endpoint: Endpoint) -> None:
        """A check that records what it was given."""
        calls.append((ctx, endpoint))

    monkeypatch.setattr(registry, "REGISTRY", [])
    monkeypatch.setattr(twins, "TWINS", (("X", check_x),))
    twins.register(SPEAK)
    (registered,) = registry.REGISTRY
    assert registered.requirement_id == "SPEAK-CALLBACK-X"
    assert registered.name.endswith(".check_x[speak]")

    async def run() -> None:
        await registered.run(CTX)

    asyncio.run(run())
    assert calls == [(CTX, SPEAK)]


def test_put_waits_for_both_and_judges_put_first(monkeypatch: pytest.MonkeyPatch) -> None:
    finished: list[str] = []

    async def method(ctx: CaseContext, endpoint: Endpoint, value: str | None) -> None:
        await asyncio.sleep(0.05 if value == "put" else 0)
        finished.append(str(value))
        raise CheckFailed(f"callback_method={value}: the delivery came as POST")

    monkeypatch.setattr(delivery, "_check_method", method)
    with pytest.raises(CheckFailed, match="callback_method=put:"):
        asyncio.run(delivery.check_put(CTX, LISTEN))
    assert finished == ["PUT", "put"]
