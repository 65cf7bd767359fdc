"""The suite's own contract documents (schemas/openapi.yaml, schemas/asyncapi.yaml) are valid,
reference the suite's JSON Schemas, agree with the parameter catalogue, and every genuine
recording in ../shared/real-world is validated by one of the suite's schemas."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from conftest import REPO
from openapi_spec_validator import validate

from conformance import catalogue, fuzz, shapes
from conformance.config import AuthScheme, Credentials, RunConfig

SCHEMAS = REPO / "schemas"
CATALOGUE = catalogue.load()


def _load(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((SCHEMAS / name).read_text(encoding="utf-8"))
    return loaded


def _refs(node: Any) -> Iterator[str]:
    """Every $ref in a document."""
    if isinstance(node, dict):
        if isinstance(node.get("$ref"), str):
            yield node["$ref"]
        for value in node.values():
            yield from _refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from _refs(item)


def _assert_refs_resolve(document: dict[str, Any]) -> set[str]:
    """Internal refs point into the document; relative refs name a valid JSON Schema file."""
    files = set()
    for ref in _refs(document):
        if ref.startswith("#/"):
            node: Any = document
            for part in ref[2:].split("/"):
                node = node[part]
        else:
            assert ref.startswith("./") and ref.endswith(".json"), ref
            path = SCHEMAS / ref[2:]
            assert path.is_file(), f"{ref} does not exist in schemas/"
            jsonschema.Draft202012Validator.check_schema(json.loads(path.read_text()))
            files.add(ref[2:])
    return files


def test_openapi_is_valid_openapi_3_1() -> None:
    document = _load("openapi.yaml")
    assert document["openapi"] == "3.1.0"
    validate(document, base_uri=(SCHEMAS / "openapi.yaml").as_uri())


def test_openapi_references_the_suites_json_schemas() -> None:
    files = _assert_refs_resolve(_load("openapi.yaml"))
    assert {"listen-response.json", "error.json"} <= files


def test_openapi_listen_parameters_are_the_catalogues() -> None:
    operation = _load("openapi.yaml")["paths"]["/v1/listen"]["post"]
    documented = {p["name"] for p in operation["parameters"] if p["in"] == "query"}
    catalogued = {p.name for p in CATALOGUE.parameters if "listen" in p.endpoints}
    assert documented == catalogued


def test_schemathesis_loads_every_fuzzed_operation() -> None:
    config = RunConfig(
        target="http://127.0.0.1:1", credentials=Credentials("k", AuthScheme.TOKEN), project_id="p"
    )
    schema, notes = fuzz.load_schema(config.capabilities, config.project_id)
    labels = {result.ok().label for result in schema.get_all_operations()}
    assert "POST /v1/listen" in labels and "POST /v1/auth/grant" in labels
    assert "DELETE /v1/projects/{project_id}/keys/{key_id}" not in labels
    assert any("not fuzzed" in note for note in notes)


def test_fuzzing_leaves_out_undeclared_capabilities_and_projectless_operations() -> None:
    config = RunConfig(
        target="http://127.0.0.1:1",
        credentials=Credentials("k", AuthScheme.TOKEN),
        capabilities=frozenset({"grant"}),
    )
    document, notes = fuzz.fuzzed_document(config.capabilities, config.project_id)
    assert set(document["paths"]) == {"/v1/listen", "/v1/auth/grant"}
    assert "security" not in document
    listen = document["paths"]["/v1/listen"]["post"]
    assert {p["name"] for p in listen["parameters"]}.isdisjoint({"callback", "tag", "extra"})
    assert any("speak" in note for note in notes)


def test_asyncapi_parses_and_its_payload_refs_resolve() -> None:
    document = _load("asyncapi.yaml")
    assert document["asyncapi"].startswith("2.6")
    channel = document["channels"]["/v1/listen"]
    sent = {m["$ref"].rsplit("/", 1)[1] for m in channel["publish"]["message"]["oneOf"]}
    received = {m["$ref"].rsplit("/", 1)[1] for m in channel["subscribe"]["message"]["oneOf"]}
    assert sent == {"Audio", "KeepAlive", "Finalize", "CloseStream"}
    assert received == {"Results", "Metadata"}
    assert _assert_refs_resolve(document) == {"stream-results.json", "stream-metadata.json"}


# ------------------------------------------------------------------ genuine recordings

NOT_BODIES = "deepgram-python-sdk/speak/rest/"
"""The SDK's dump of speak response headers (SOURCES.md): not a body, no schema applies."""


def _kind(relative: str, document: Any) -> str | None:
    """The schema kind that checks a recording, by where it was recorded."""
    if relative.startswith(("deepgram-python-sdk/listen/rest/", "deepgram-go-sdk/")):
        return "listen"
    if relative.startswith("deepgram-python-sdk/listen/websocket/"):
        return "stream-results"
    if relative.startswith("ManeeshJupalle-Auricle/") and isinstance(document, dict):
        return {"Results": "stream-results", "Metadata": "stream-metadata"}.get(
            document.get("type", "")
        )
    return None


def test_every_genuine_json_recording_validates_against_a_suite_schema(shared: Path) -> None:
    real = shared / "real-world"
    checked, waiting, unchecked = [], [], []
    for path in sorted(real.rglob("*.json")):
        relative = path.relative_to(real).as_posix()
        if relative.startswith(NOT_BODIES):
            continue
        document = json.loads(path.read_text(encoding="utf-8"))
        kind = _kind(relative, document)
        if kind is None:
            unchecked.append(relative)
        elif kind not in shapes.SCHEMA_FILES:
            waiting.append(f"{relative} (waits for the {kind} schema)")
        else:
            assert shapes.problems(kind, document) == [], relative
            checked.append(relative)
    assert unchecked == [], "recordings no schema of the suite checks"
    assert len(checked) >= 20, (checked, waiting)


@pytest.mark.parametrize("name", ["openapi.yaml", "asyncapi.yaml", "coverage-waivers.toml"])
def test_contract_files_ship_in_the_wheel(name: str) -> None:
    data = (REPO / "pyproject.toml").read_text()
    assert f'"*.{name.rsplit(".", 1)[1]}"' in data, name
