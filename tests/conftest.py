"""Shared fixtures: where ../shared is, and running the suite against the reference server."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import pytest

from conformance import api
from conformance.run import loop
from conformance.run.config import AuthScheme, RunConfig
from conformance.run.engine import Engine
from conformance.run.events import Event, RunFinished
from conformance.run.profile import EMPTY
from conformance.timing import TEARDOWN

REPO = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("CONFORMANCE_SHARED", REPO.parent / "shared"))


@pytest.fixture
def shared() -> Path:
    """../shared (contract documents, genuine recordings); skipped where the machine lacks it."""
    if not (SHARED / "contract-docs").is_dir():
        pytest.skip(
            f"{SHARED} is not here: the contract documents and genuine recordings live "
            "beside the checkout in CI (set CONFORMANCE_SHARED to point elsewhere)"
        )
    return SHARED


class Collector:
    """A handler that keeps every event, for tests to inspect."""

    def __init__(self) -> None:
        self.events: list[Event] = []

    def handle(self, event: Event) -> None:
        self.events.append(event)


async def run_against_reference(
    faults: Sequence[str] = (),
    scheme: AuthScheme = AuthScheme.TOKEN,
    key_id_known: bool = True,
    **overrides: object,
) -> RunFinished:
    """Start the reference server with these faults and run the whole suite against it (told
    the key's identifier, as --api-key-id does, unless `key_id_known` is False), configured as
    `conformance run` without flags is, but for `overrides` (RunConfig fields)."""
    plan = replace(RunConfig.resolve({"auth_scheme": scheme}, EMPTY, {}), **overrides)  # type: ignore[arg-type]
    async with api.reference_for(plan, faults) as server:
        config = plan.against(server)
        if not key_id_known:
            config = replace(config, credentials=replace(config.credentials, api_key_id=None))
        return await Engine(config, [Collector()]).run()


def reference_run(
    faults: Sequence[str] = (),
    scheme: AuthScheme = AuthScheme.TOKEN,
    key_id_known: bool = True,
    **overrides: object,
) -> RunFinished:
    """Synchronous wrapper for tests."""
    return loop.run(run_against_reference(faults, scheme, key_id_known, **overrides), TEARDOWN)
