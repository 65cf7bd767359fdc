"""The case registry: each case is an async function tied to one requirement ID."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from conformance.cases.kit.context import CaseContext

CaseFunction = Callable[["CaseContext"], Awaitable[None]]


@dataclass(frozen=True)
class Case:
    """A named check of one requirement."""

    name: str
    requirement_id: str
    run: CaseFunction


REGISTRY: list[Case] = []
"""Every case, in definition order."""


def case(requirement_id: str) -> Callable[[CaseFunction], CaseFunction]:
    """Register the decorated coroutine as a case of `requirement_id`."""

    def decorate(function: CaseFunction) -> CaseFunction:
        module = function.__module__.removeprefix("conformance.cases.")
        register(requirement_id, f"{module}.{function.__name__}", function)
        return function

    return decorate


def register(requirement_id: str, name: str, run: CaseFunction) -> None:
    """Register `run` as a case of `requirement_id` under `name`: the decorator's way, and the
    way of a check shared by several requirements, which has no name of its own per requirement."""
    REGISTRY.append(Case(name, requirement_id, run))
