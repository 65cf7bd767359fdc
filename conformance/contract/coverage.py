"""Coverage of the official spec's query parameters by the catalogue, as data.

Every query parameter the official OpenAPI lists for POST /v1/listen and POST /v1/speak is
either catalogued (schemas/parameters.toml, for that endpoint) and named by requirements, or
waived with a reason (schemas/coverage-waivers.toml). The rule for "covered by":

- a generated parameter is covered by its endpoint area's property-based requirements (those
  whose summary says they are generated from schemas/parameters.toml) and by every requirement
  of that area whose summary names the parameter;
- a parameter another area owns (generated = false) is covered by the requirements of the
  owner area, or of the endpoint's area, whose summary names it.

A catalogued parameter that no requirement names is not covered.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from rich.table import Table

from conformance.contract.catalogue import Catalogue, Parameter, read_schema_file
from conformance.errors import CatalogueError, UsageError

OFFICIAL_SPEC = Path("real-world") / "specs" / "deepgram-api-specs_openapi.yml"
"""The official OpenAPI, relative to the shared folder beside the checkout."""
ENDPOINTS = {"listen": ("/v1/listen", "LISTEN"), "speak": ("/v1/speak", "SPEAK")}
"""Catalogue endpoint -> (the official POST path, the area that owns the endpoint)."""
GENERATED_MARK = "parameters.toml"
"""Requirements whose summary says this are generated from the parameter catalogue."""
WAIVERS = "coverage-waivers.toml"


@dataclass(frozen=True)
class Row:
    """One official query parameter of one endpoint and how the suite treats it."""

    endpoint: str
    name: str
    catalogued: bool
    covered_by: tuple[str, ...]
    waiver: str | None

    @property
    def covered(self) -> bool:
        """Catalogued and named by at least one requirement."""
        return self.catalogued and bool(self.covered_by)

    @property
    def accounted(self) -> bool:
        """Covered, or waived with a reason: what the coverage test demands."""
        return self.covered or self.waiver is not None

    def explain(self) -> str:
        """The last column of `conformance coverage`."""
        if self.covered:
            return ", ".join(self.covered_by)
        if self.waiver is not None:
            return f"waived: {self.waiver}"
        if self.catalogued:
            return "NOT COVERED: catalogued, but no requirement names it"
        return "NOT COVERED: neither in schemas/parameters.toml nor waived"


def shared_folder() -> Path:
    """The folder of the contract documents and the official specs: $CONFORMANCE_SHARED, else
    ../shared beside the working folder."""
    return Path(os.environ.get("CONFORMANCE_SHARED", "../shared"))


def default_spec() -> Path:
    """The official spec in the shared folder."""
    return shared_folder() / OFFICIAL_SPEC


def official_parameters(spec: Path) -> dict[str, list[str]]:
    """Catalogue endpoint -> the query parameters the official spec lists for it, in order."""
    try:
        document: dict[str, Any] = yaml.safe_load(spec.read_text(encoding="utf-8"))
    except OSError as exc:
        raise UsageError(
            f"coverage: the official OpenAPI cannot be read at {spec.resolve()} "
            f"({exc.strerror or exc}); give its path: conformance coverage SPEC (default: "
            f"$CONFORMANCE_SHARED or ../shared from the working folder, then {OFFICIAL_SPEC})"
        ) from None

    def resolve(node: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in node:
            target: Any = document
            for part in node["$ref"].removeprefix("#/").split("/"):
                target = target[part]
            node = target
        return node

    found: dict[str, list[str]] = {}
    for endpoint, (path, _) in ENDPOINTS.items():
        operation = document["paths"][path]["post"]
        parameters = [resolve(p) for p in operation.get("parameters", [])]
        found[endpoint] = [p["name"] for p in parameters if p.get("in") == "query"]
    return found


def waivers() -> dict[tuple[str, str], str]:
    """(endpoint, parameter) -> why the suite leaves it out."""
    try:
        table = tomllib.loads(read_schema_file(WAIVERS))
    except tomllib.TOMLDecodeError as exc:
        raise CatalogueError(f"schemas/{WAIVERS} is not valid TOML: {exc}") from exc
    return {(w["endpoint"], w["name"]): w["reason"] for w in table.get("waiver", [])}


def _names(summary: str, name: str) -> bool:
    """Whether a requirement's summary names the parameter as a word of its own."""
    return re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", summary) is not None


def covered_by(catalogue: Catalogue, parameter: Parameter, endpoint: str) -> tuple[str, ...]:
    """The requirement IDs that cover a catalogued parameter on an endpoint (module rule)."""
    area = ENDPOINTS[endpoint][1]
    areas = {area} if parameter.generated else {area, parameter.owner}
    return tuple(
        r.id
        for r in catalogue.requirements
        if r.area in areas
        and (
            _names(r.summary, parameter.name)
            or (parameter.generated and r.area == area and GENERATED_MARK in r.summary)
        )
    )


def table(catalogue: Catalogue, spec: Path) -> list[Row]:
    """One row per official query parameter of each endpoint."""
    waived = waivers()
    rows = []
    for endpoint, names in official_parameters(spec).items():
        for name in names:
            parameter = next(
                (p for p in catalogue.parameters if p.name == name and endpoint in p.endpoints),
                None,
            )
            rows.append(
                Row(
                    endpoint=endpoint,
                    name=name,
                    catalogued=parameter is not None,
                    covered_by=()
                    if parameter is None
                    else covered_by(catalogue, parameter, endpoint),
                    waiver=waived.get((endpoint, name)),
                )
            )
    return rows


def stale_waivers(rows: list[Row]) -> list[str]:
    """Waivers no longer needed: the parameter is covered, or the official spec dropped it."""
    listed = {(r.endpoint, r.name) for r in rows}
    stale = [f"{e} {n}: not in the official spec" for e, n in waivers() if (e, n) not in listed]
    stale += [
        f"{r.endpoint} {r.name}: covered, waiver not needed" for r in rows if r.covered and r.waiver
    ]
    return stale


def render(rows: list[Row]) -> Table:
    """The coverage table `conformance coverage` prints."""
    out = Table(title="Official query parameters: covered by requirements, or waived")
    for column in ("endpoint", "parameter", "covered by / waived because"):
        out.add_column(column, overflow="fold")
    for row in rows:
        out.add_row(row.endpoint, row.name, row.explain())
    covered = sum(row.covered for row in rows)
    waived = sum(not row.covered and row.waiver is not None for row in rows)
    out.caption = f"{covered} covered, {waived} waived, {len(rows) - covered - waived} neither"
    return out
