"""Coverage of the official specs' query parameters and messages by the catalogue, as data.

Every query parameter the official OpenAPI lists for POST /v1/listen and POST /v1/speak, and
every query parameter and message the official AsyncAPI lists for WebSocket /v1/listen and
/v1/speak, is either catalogued (schemas/parameters.toml, for that endpoint) and named by
requirements, or waived with a reason (schemas/coverage-waivers.toml). A message is covered by
the socket's requirements whose summary or quote names its type (binary messages: "audio").
The rule for a parameter's "covered by":

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
OFFICIAL_ASYNCAPI = OFFICIAL_SPEC.with_name("deepgram-api-specs_asyncapi.yml")
"""The official AsyncAPI, beside it."""
ENDPOINTS = {
    "listen": ("/v1/listen", "LISTEN"),
    "speak": ("/v1/speak", "SPEAK"),
    "stream": ("/v1/listen", "STREAM"),
    "speak-stream": ("/v1/speak", "SPEAK"),
}
"""Coverage endpoint -> (the official path or channel, the area that owns it)."""
SOCKETS = {"stream": ("stream", "STREAM-"), "speak-stream": ("speak", "SPEAK-STREAM-")}
"""WebSocket coverage endpoint -> (the catalogue endpoint of its parameters, the ID prefix of
the requirements that judge it)."""
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


def default_asyncapi() -> Path:
    """The official AsyncAPI in the shared folder."""
    return shared_folder() / OFFICIAL_ASYNCAPI


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
        if endpoint in SOCKETS:
            continue
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
    """The requirement IDs that cover a catalogued parameter on an endpoint (module rule; on a
    socket, only the requirements that judge that socket)."""
    area = ENDPOINTS[endpoint][1]
    areas = {area} if parameter.generated else {area, parameter.owner}
    prefix = SOCKETS[endpoint][1] if endpoint in SOCKETS else ""
    return tuple(
        r.id
        for r in catalogue.requirements
        if r.area in areas
        and (r.id.startswith(prefix) or (r.area == parameter.owner and "stream" in r.summary))
        and (
            _names(r.summary, parameter.name)
            or (parameter.generated and r.area == area and GENERATED_MARK in r.summary)
        )
    )


def table(catalogue: Catalogue, spec: Path, asyncapi: Path | None = None) -> list[Row]:
    """One row per official query parameter of each endpoint, and, with the AsyncAPI, per query
    parameter and message of each socket."""
    waived = waivers()
    rows = []
    listed = official_parameters(spec)
    if asyncapi is not None:
        listed |= socket_parameters(asyncapi)
    for endpoint, names in listed.items():
        catalogued_as = SOCKETS[endpoint][0] if endpoint in SOCKETS else endpoint
        for name in names:
            parameter = next(
                (
                    p
                    for p in catalogue.parameters
                    if p.name == name and catalogued_as in p.endpoints
                ),
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
    if asyncapi is not None:
        rows += message_rows(catalogue, asyncapi, waived)
    return rows


def _asyncapi(path: Path) -> dict[str, Any]:
    """The official AsyncAPI, parsed; a one-line usage error when it cannot be read."""
    try:
        document: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise UsageError(
            f"coverage: the official AsyncAPI cannot be read at {path.resolve()} "
            f"({exc.strerror or exc}); give its path with --asyncapi FILE"
        ) from None
    return document


def socket_parameters(path: Path) -> dict[str, list[str]]:
    """WebSocket coverage endpoint -> the query parameters the AsyncAPI lists for its channel."""
    channels = _asyncapi(path)["channels"]
    return {
        endpoint: list(channels[ENDPOINTS[endpoint][0]]["bindings"]["ws"]["query"]["properties"])
        for endpoint in SOCKETS
    }


def socket_messages(path: Path) -> dict[str, list[tuple[str, bool]]]:
    """WebSocket coverage endpoint -> each message of its channel, both directions, as (its
    type, whether it is binary): the type its payload fixes, else its name's last word."""
    document = _asyncapi(path)
    messages = document["components"]["messages"]

    def resolve(node: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in node:
            ref = node["$ref"].removeprefix("#/components/messages/")
            node = messages[ref] if ref in messages else _pointer(document, node["$ref"])
        return node

    found: dict[str, list[tuple[str, bool]]] = {}
    for endpoint in SOCKETS:
        channel = document["channels"][ENDPOINTS[endpoint][0]]
        for operation in ("subscribe", "publish"):
            for reference in channel[operation]["message"]["oneOf"]:
                message = resolve(reference)
                payload = resolve(message.get("payload", {}))
                kind = resolve(payload.get("properties", {}).get("type", {})).get("enum", [])
                name = str(message["name"]).removeprefix("ListenV1").removeprefix("SpeakV1")
                typed = str(kind[0]) if len(kind) == 1 else name
                found.setdefault(endpoint, []).append((typed, payload.get("type") == "string"))
    return found


def _pointer(document: dict[str, Any], ref: str) -> dict[str, Any]:
    """The node a local JSON pointer names."""
    node: Any = document
    for part in ref.removeprefix("#/").split("/"):
        node = node[part]
    return dict(node)


def message_rows(
    catalogue: Catalogue, asyncapi: Path, waived: dict[tuple[str, str], str]
) -> list[Row]:
    """One row per message of each socket: covered by the requirements judging that socket
    whose summary or quote names its type (a binary message: names audio)."""
    rows = []
    for endpoint, messages in socket_messages(asyncapi).items():
        prefix = SOCKETS[endpoint][1]
        for kind, binary in messages:
            word = "audio" if binary else kind
            by = tuple(
                r.id
                for r in catalogue.requirements
                if r.id.startswith(prefix) and (_names(r.summary, word) or _names(r.quote, word))
            )
            where = f"{endpoint} message"
            rows.append(Row(where, kind, True, by, waived.get((where, kind))))
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
    out = Table(title="Official query parameters and messages: covered by requirements, or waived")
    for column in ("endpoint", "parameter", "covered by / waived because"):
        out.add_column(column, overflow="fold")
    for row in rows:
        out.add_row(row.endpoint, row.name, row.explain())
    covered = sum(row.covered for row in rows)
    waived = sum(not row.covered and row.waiver is not None for row in rows)
    out.caption = f"{covered} covered, {waived} waived, {len(rows) - covered - waived} neither"
    return out
