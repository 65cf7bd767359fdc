"""The contract as data: requirements and parameters loaded from schemas/, checked once."""

from __future__ import annotations

import json
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, replace
from enum import StrEnum
from functools import cache
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

import jsonschema

from conformance.errors import CatalogueError

AREAS = (
    "LISTEN",
    "AUTH",
    "CALLBACK",
    "SPEAK",
    "TAG",
    "EXTRA",
    "STREAM",
    "KEYS",
    "PROJECTS",
    "FUZZ",
)
"""Every area of the catalogue, in report order."""

FAULT_FLAGS = ("auth_scheme", "dialect")
"""The run settings schemas/faults.toml may set for a fault's row."""

CAPABILITIES = ("listen", "callbacks", "speak", "streaming", "keys", "usage", "grant")
"""Optional parts of the contract a target declares; LISTEN and AUTH are always expected."""


class Level(StrEnum):
    """How binding a requirement is; MUST gates, SHOULD gates with --strict, MAY never."""

    MUST = "MUST"
    SHOULD = "SHOULD"
    MAY = "MAY"


def schemas_dir() -> Traversable:
    """schemas/ as installed in a wheel (conformance.schemas) or beside an editable checkout."""
    try:
        return files("conformance.schemas")
    except ModuleNotFoundError:
        return Path(__file__).resolve().parents[2] / "schemas"


def read_schema_file(name: str) -> str:
    """The text of one file in schemas/."""
    try:
        return schemas_dir().joinpath(name).read_text(encoding="utf-8")
    except OSError as exc:
        raise CatalogueError(f"schemas/{name} cannot be read: {exc}") from exc


@dataclass(frozen=True)
class Requirement:
    """One documented requirement the suite gives a verdict on."""

    id: str
    level: Level
    area: str
    source: str
    quote: str
    summary: str
    faults: tuple[str, ...]
    unbreakable: str | None = None
    prerequisites: tuple[str, ...] = ()
    """Requirements whose observation this one's cases need (they skip, blocked, without it)."""
    capabilities: tuple[str, ...] = ()
    """The optional capabilities it needs; requirements needing it need them too."""
    waits: str | None = None
    """What its cases wait for beyond the usual case deadline ("callbacks": the target's whole
    retry schedule)."""
    dialect_levels: tuple[tuple[str, Level], ...] = ()
    """Its level under a dialect where the evidence sets another one (e.g. SHOULD under v1)."""
    evidence: tuple[str, ...] = ()
    """Where the behaviour is attested: `KIND WHERE: WHAT` lines, its own document's first."""


@dataclass(frozen=True)
class Parameter:
    """One query parameter with its documented domain."""

    name: str
    endpoints: tuple[str, ...]
    type: str
    source: str
    quote: str
    repeatable: bool = False
    values: tuple[str, ...] = ()
    examples: tuple[str, ...] = ()
    minimum: float | None = None
    exclusive_minimum: float | None = None
    maximum_generated: float | None = None
    max_count: int | None = None
    intensifier: bool = False
    generated: bool = True
    owner: str | None = None


@dataclass(frozen=True)
class Catalogue:
    """All requirements and parameters, indexed."""

    requirements: tuple[Requirement, ...]
    parameters: tuple[Parameter, ...]

    def for_dialect(self, dialect: str) -> Catalogue:
        """The catalogue as a run of this dialect judges it: each requirement at its level
        there."""
        return replace(
            self,
            requirements=tuple(
                replace(r, level=dict(r.dialect_levels).get(dialect, r.level))
                for r in self.requirements
            ),
        )

    def requirement(self, requirement_id: str) -> Requirement:
        """Look a requirement up by ID; an unknown ID is a harness bug."""
        for requirement in self.requirements:
            if requirement.id == requirement_id:
                return requirement
        raise CatalogueError(f"no requirement {requirement_id!r} in schemas/requirements/")

    def generated_parameters(self, endpoint: str) -> Iterator[Parameter]:
        """Parameters of an endpoint whose values the property-based cases generate."""
        return (p for p in self.parameters if endpoint in p.endpoints and p.generated)

    def fault_flags(self, fault: str) -> dict[str, str]:
        """The run flags a row with this fault on needs to isolate it (schemas/faults.toml:
        auth_scheme, dialect), by flag name; none for most faults."""
        table = tomllib.loads(read_schema_file("faults.toml")).get("fault", {})
        return {k: str(v) for k, v in table.get(fault, {}).items() if k in FAULT_FLAGS}

    def faults(self) -> dict[str, frozenset[str]]:
        """Each fault switch named in the catalogue, with the requirement IDs it must break."""
        table: dict[str, set[str]] = {}
        for requirement in self.requirements:
            for fault in requirement.faults:
                table.setdefault(fault, set()).add(requirement.id)
        return {fault: frozenset(ids) for fault, ids in table.items()}


def _load_toml(name: str) -> dict[str, Any]:
    """Parse one TOML file of schemas/ and validate it against catalogue.schema.json."""
    try:
        data = tomllib.loads(read_schema_file(name))
    except tomllib.TOMLDecodeError as exc:
        raise CatalogueError(f"schemas/{name} is not valid TOML: {exc}") from exc
    schema = json.loads(read_schema_file("catalogue.schema.json"))
    error = jsonschema.exceptions.best_match(
        jsonschema.Draft202012Validator(schema).iter_errors(data)
    )
    if error is not None:
        where = "/".join(str(part) for part in error.absolute_path)
        raise CatalogueError(f"schemas/{name} at {where}: {error.message}")
    return data


def _check_prerequisites(graph: dict[str, tuple[str, ...]]) -> None:
    """Every prerequisite is a requirement, and none needs itself, however indirectly."""
    for requirement_id, needed in graph.items():
        for prerequisite in needed:
            if prerequisite not in graph:
                raise CatalogueError(
                    f"requirement {requirement_id} names an unknown prerequisite {prerequisite}"
                )
    for start in graph:
        seen, todo = set(), list(graph[start])
        while todo:
            current = todo.pop()
            if current == start:
                raise CatalogueError(f"requirement {start} is its own prerequisite")
            if current not in seen:
                seen.add(current)
                todo.extend(graph[current])


def prerequisite_closure(catalogue: Catalogue, ids: set[str]) -> set[str]:
    """These requirements and every requirement they need, however indirectly (within this
    catalogue: one cut down for a test may leave a prerequisite out)."""
    by_id = {r.id: r for r in catalogue.requirements}
    closed, todo = set(ids), list(ids)
    while todo:
        current = by_id.get(todo.pop())
        for prerequisite in current.prerequisites if current else ():
            if prerequisite not in closed:
                closed.add(prerequisite)
                todo.append(prerequisite)
    return closed


def _parameter(raw: dict[str, Any]) -> Parameter:
    """A Parameter from its TOML table (already validated), lists frozen into tuples."""
    fields: dict[str, Any] = {k: tuple(v) if isinstance(v, list) else v for k, v in raw.items()}
    return Parameter(**fields)


@cache
def load() -> Catalogue:
    """Load and cross-check the catalogue; raises CatalogueError with the first inconsistency."""
    files = sorted(
        f.name for f in schemas_dir().joinpath("requirements").iterdir() if f.name.endswith(".toml")
    )
    if not files:
        raise CatalogueError("schemas/requirements/ holds no .toml file")
    requirements = tuple(
        Requirement(
            id=raw["id"],
            level=Level(raw["level"]),
            area=raw["area"],
            source=raw["source"],
            quote=raw["quote"],
            summary=raw["summary"],
            faults=tuple(raw.get("faults", ())),
            unbreakable=raw.get("unbreakable"),
            prerequisites=tuple(raw.get("prerequisites", ())),
            capabilities=tuple(raw.get("capabilities", ())),
            waits=raw.get("waits"),
            dialect_levels=tuple(
                (dialect, Level(level)) for dialect, level in raw.get("levels", {}).items()
            ),
            evidence=tuple(raw.get("evidence", ())),
        )
        for name in files
        for raw in _load_toml(f"requirements/{name}").get("requirement", [])
    )
    parameters = tuple(_parameter(raw) for raw in _load_toml("parameters.toml")["parameter"])

    seen: set[str] = set()
    for requirement in requirements:
        if requirement.id in seen:
            raise CatalogueError(f"requirement {requirement.id} is listed twice")
        if not requirement.id.startswith(requirement.area + "-"):
            raise CatalogueError(
                f"requirement {requirement.id} is filed under area {requirement.area}"
            )
        seen.add(requirement.id)
    _check_prerequisites({r.id: r.prerequisites for r in requirements})
    names = [p.name for p in parameters]
    if len(names) != len(set(names)):
        raise CatalogueError("a parameter is listed twice in schemas/parameters.toml")
    order = {area: index for index, area in enumerate(AREAS)}
    return Catalogue(
        requirements=tuple(sorted(requirements, key=lambda r: (order[r.area], r.id))),
        parameters=parameters,
    )
