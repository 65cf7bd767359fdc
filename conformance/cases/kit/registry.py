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
    doc: str


REGISTRY: list[Case] = []
"""Every case, in definition order."""


def case(requirement_id: str) -> Callable[[CaseFunction], CaseFunction]:
    """Register the decorated coroutine as a case of `requirement_id`."""

    def register(function: CaseFunction) -> CaseFunction:
        module = function.__module__.removeprefix("conformance.cases.")
        REGISTRY.append(
            Case(
                name=f"{module}.{function.__name__}",
                requirement_id=requirement_id,
                run=function,
                doc=(function.__doc__ or "").strip(),
            )
        )
        return function

    return register
