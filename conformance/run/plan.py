"""The plan of a run before any case: which cases, which secrets to redact, how to reach the
target, and whether anything answers there."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from urllib.parse import urlsplit

import httpx

from conformance.cases import Case
from conformance.contract import catalogue as catalogue_module
from conformance.contract.catalogue import Catalogue
from conformance.errors import CatalogueError, TargetUnreachable
from conformance.run.config import RunConfig
from conformance.wire.network import Network
from conformance.wire.redact import Redactor


def network_of(config: RunConfig) -> Network:
    """The run's network options: extra headers, proxy, TLS verification."""
    return Network(config.headers, config.proxy, config.tls_verify, config.cacert)


def redactor_for(config: RunConfig) -> Redactor:
    """A redactor that knows the run's secrets (the key, a callback password, the values of
    Authorization-like extra headers)."""
    redactor = Redactor([config.credentials.api_key, *network_of(config).secrets()])
    if config.callback_public_url:
        password = urlsplit(config.callback_public_url).password
        if password:
            redactor.add(password)
    return redactor


def select(catalogue: Catalogue, config: RunConfig, cases: Sequence[Case]) -> list[Case]:
    """The cases of the selected areas, after checking every requirement has one."""
    by_requirement = {r.id: r for r in catalogue.requirements}
    for case in cases:
        if case.requirement_id not in by_requirement:
            raise CatalogueError(
                f"case {case.name} checks {case.requirement_id}, "
                "which is not in schemas/requirements/"
            )
    covered = {case.requirement_id for case in cases}
    missing = [r.id for r in catalogue.requirements if r.id not in covered]
    if missing:
        raise CatalogueError(f"requirements without a case: {', '.join(missing)}")
    selected = {r.id for r in catalogue.requirements if config.selects(r)}
    needed = catalogue_module.prerequisite_closure(catalogue, selected)
    chosen = [c for c in cases if c.requirement_id in needed]
    # Longest deadlines first: callback cases then reach the target ahead of the opening burst,
    # so the retry schedule the run waits out starts as early as it can.
    return sorted(
        chosen, key=lambda c: -config.case_deadline(catalogue.requirement(c.requirement_id))
    )


async def preflight(config: RunConfig, redactor: Redactor) -> None:
    """Make sure something answers HTTP at the target before judging it."""
    deadline, network = config.timing.connect, network_of(config)
    try:
        async with (
            asyncio.timeout(deadline),
            httpx.AsyncClient(
                timeout=deadline,
                proxy=network.proxy,
                verify=network.verification(),
                headers=dict(network.headers),
            ) as http,
        ):
            await http.get(config.target + "/")
    except (TimeoutError, httpx.TimeoutException):
        raise TargetUnreachable(
            f"target {redactor.text(config.target)} did not answer within {deadline:g} s"
        ) from None
    except httpx.HTTPError as exc:
        reason = redactor.text(str(exc)) or type(exc).__name__
        raise TargetUnreachable(
            f"target {redactor.text(config.target)} is unreachable: {reason}"
        ) from None
