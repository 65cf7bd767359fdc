"""The suite's own contract documents (schemas/openapi.yaml, schemas/asyncapi.yaml) are valid,
reference the suite's JSON Schemas, agree with the parameter catalogue, and every genuine
recording in ../shared/real-world is validated by one of the suite's schemas."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jsonschema
import pytest
import yaml
from conftest import REPO
from openapi_spec_validator import validate
from recordings import OUT_OF_SCOPE

from conformance.cases.kit import fuzzing as fuzz
from conformance.contract import catalogue, shapes
from conformance.contract.catalogue import CAPABILITIES
from conformance.run.config import AuthScheme, Credentials, RunConfig
from conformance.wire import audio

SCHEMAS = REPO / "schemas"
CATALOGUE = catalogue.load()
EVERY_CAPABILITY = frozenset(CAPABILITIES)


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
    bodies = {"listen-response.json", "error.json", "requests-list.json", "request.json"}
    assert bodies | {"grant.json", "callback-accepted.json"} <= files
    assert set(files) <= set(shapes.SCHEMA_FILES.values()), "a body `validate` cannot check"


@pytest.mark.parametrize(("path", "endpoint"), [("/v1/listen", "listen"), ("/v1/speak", "speak")])
def test_openapi_parameters_are_the_catalogues(path: str, endpoint: str) -> None:
    operation = _load("openapi.yaml")["paths"][path]["post"]
    documented = {p["name"] for p in operation["parameters"] if p["in"] == "query"}
    catalogued = {p.name for p in CATALOGUE.parameters if endpoint in p.endpoints}
    if endpoint == "listen":
        assert documented == catalogued
    else:  # speak's audio format parameters are documented but not catalogued yet
        assert catalogued <= documented


def test_asyncapi_stream_parameters_are_the_catalogues() -> None:
    query = _load("asyncapi.yaml")["channels"]["/v1/listen"]["bindings"]["ws"]["query"]
    catalogued = {p.name: p for p in CATALOGUE.parameters if "stream" in p.endpoints}
    assert set(query["properties"]) == set(catalogued)
    for name, schema in query["properties"].items():
        assert (schema.get("type") == "array") == catalogued[name].repeatable, name


def _plan(examples: int) -> list[tuple[fuzz.Generated, str]]:
    cases, _ = fuzz.plan(examples, EVERY_CAPABILITY, "p")
    return [(case, mode.value) for case, mode in cases]


def _urls(node: Any) -> Iterator[str]:
    """Every string in a generated body or query that reads as a URL with a host."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _urls(key)
            yield from _urls(value)
    elif isinstance(node, list):
        for item in node:
            yield from _urls(item)
    elif isinstance(node, str) and "://" in node:
        yield node


@pytest.mark.parametrize("examples", [3, 20])
def test_fuzzed_requests_never_name_a_real_host(examples: int) -> None:
    # Network policy: a URL the target might fetch or call is the receiver's stand-in, a urn:,
    # or a host under .invalid; callback parameters are never generated.
    for case, mode in _plan(examples):
        assert "callback" not in (case.query or {}), case.operation.label
        for url in _urls([case.query, case.body if case.media_type == "application/json" else 0]):
            host = urlsplit(url).hostname or ""
            assert host.endswith(".invalid") or host == "127.0.0.1", (mode, url)
        body = case.body if isinstance(case.body, dict) else {}
        if case.operation.path == "/v1/listen" and mode == "positive" and "url" in body:
            assert body["url"] in fuzz.AUDIO_URLS


def test_a_request_naming_a_real_host_is_withheld() -> None:
    schema, _ = fuzz.load_schema(EVERY_CAPABILITY, "p")
    listen = schema["/v1/listen"]["POST"]
    real = listen.Case(body={"url": "https://0.com/a.wav"}, media_type="application/json")
    fetchable = listen.Case(body={"url": fuzz.RECEIVER_CLIP}, media_type="application/json")
    loopback = listen.Case(
        query={"search": ["http://[::1]:8/x"]}, body={"url": "urn:x"}, media_type="application/json"
    )
    assert fuzz.outside_hosts(real) == ["https://0.com/a.wav"]
    assert fuzz.outside_hosts(fetchable) == fuzz.outside_hosts(loopback) == []


def test_listen_is_fuzzed_with_raw_audio_and_fetchable_urls() -> None:
    cases = _plan(20)
    clips = {make().wav for make in audio.CLIPS.values()}
    raw = [
        c
        for c, mode in cases
        if mode == "positive"
        and c.media_type in fuzz.AUDIO_TYPES
        and c.operation.path == "/v1/listen"
    ]
    assert len(raw) >= 5 and all(getattr(c.body, "data", None) in clips for c in raw)
    bodies = [
        c.body for c, mode in cases if mode == "positive" and c.media_type == "application/json"
    ]
    assert {"url": fuzz.RECEIVER_CLIP} in bodies
    paths = {c.formatted_path for c, _ in cases}
    assert {
        f"/v1/projects/p/keys/{fuzz.KEY_ID}",
        f"/v1/projects/p/requests/{fuzz.REQUEST_ID}",
    } <= paths


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
        capabilities=frozenset({"listen", "grant"}),
    )
    document, notes = fuzz.fuzzed_document(config.capabilities, config.project_id)
    assert set(document["paths"]) == {"/v1/listen", "/v1/auth/grant"}
    streaming_only, _ = fuzz.fuzzed_document(frozenset({"streaming"}), None)
    assert "/v1/listen" not in streaming_only["paths"]
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
    assert received == {"Results", "Metadata", "UtteranceEnd", "SpeechStarted"}
    assert _assert_refs_resolve(document) == {
        "stream-results.json",
        "stream-metadata.json",
        "stream-utterance-end.json",
        "stream-speech-started.json",
        "speak-metadata.json",
        "speak-flushed.json",
        "speak-cleared.json",
        "speak-warning.json",
    }
    speak = document["channels"]["/v1/speak"]
    said = {m["$ref"].rsplit("/", 1)[1] for m in speak["subscribe"]["message"]["oneOf"]}
    assert said == {"SpeakAudio", "SpeakMetadata", "Flushed", "Cleared", "Warning"}


# ------------------------------------------------------------------ genuine recordings

PLACES = {
    "deepgram-python-sdk/listen/rest/": "listen",
    "deepgram-go-sdk/": "listen",
    "deepgram-python-captions/": "listen",
    "deepgram-python-sdk/listen/websocket/": "stream-results",
}
"""Folders of one kind of recording: pre-recorded transcriptions, a stream's last Results."""


def _kind(relative: str, document: Any) -> str | None:
    """The schema kind that checks a recording, by where it was recorded: its folder, or for a
    quoted message the socket its file name gives and its type, for a quoted refusal error."""
    place = next((kind for prefix, kind in PLACES.items() if relative.startswith(prefix)), None)
    if place is not None:
        return place
    typed = document.get("type") if isinstance(document, dict) else None
    if relative.startswith("ManeeshJupalle-Auricle/"):
        return shapes.MESSAGE_KINDS.get(typed or "", {}).get("listen")
    name = relative.removeprefix("quotes/")
    for socket in ("listen", "speak"):
        if f"_{socket}-ws_" in name:
            return shapes.MESSAGE_KINDS.get(typed or "", {}).get(socket)
    if name != relative and any(f"_{status}-" in name for status in (400, 401)):
        return "error"
    return None


def _recordings(shared: Path) -> Iterator[tuple[str, Any]]:
    """Every genuine JSON recording in scope, by its path under real-world/."""
    real = shared / "real-world"
    for path in sorted(real.rglob("*.json")):
        relative = path.relative_to(real).as_posix()
        if not relative.startswith(tuple(OUT_OF_SCOPE)):
            yield relative, json.loads(path.read_text(encoding="utf-8"))


def test_kind_guessing_names_each_recording_as_its_place_does(shared: Path) -> None:
    for relative, document in _recordings(shared):
        guessed = shapes.classify(document)
        assert guessed is not None and guessed.kind == _kind(relative, document), relative


@pytest.mark.parametrize(
    ("document", "kind"),
    [
        ({"foo": 1}, None),
        ({}, None),
        ([1, 2], None),
        ({"message": "deleted"}, None),  # keys-delete requires nothing: never guessed
        ({"request_id": "r"}, None),  # a lone id fits every acknowledgement: never guessed
        ({"type": "Results", "channel_index": [0, 1]}, "stream-results"),
        ({"type": "UtteranceEnd"}, "stream-utterance-end"),
        ({"type": "Cleared", "sequence_id": 0}, "speak-cleared"),
        ({"type": "Metadata", "request_id": "r"}, None),  # neither socket's Metadata
        (
            {
                "type": "Metadata",
                "request_id": "r",
                "model_name": "m",
                "model_version": "v",
                "model_uuid": "u",
            },
            "speak-metadata",
        ),
        (
            {
                "type": "Metadata",
                "transaction_key": "deprecated",
                "request_id": "r",
                "sha256": "s",
                "created": "c",
                "duration": 0,
                "channels": 0,
            },
            "stream-metadata",
        ),
        ({"type": "TurnInfo", "request_id": "r"}, None),  # /v2 Flux: no message of /v1
        ({"access_token": "t", "expires_in": 30}, "grant"),
        ({"err_code": "Bad Request", "err_msg": "no", "request_id": "r"}, "error"),
        ({"err_code": "BAD_REQUEST", "err_msg": "no"}, "error"),
        ({"requests": [{"request_id": "r"}], "page": 0}, "requests-list"),
    ],
)
def test_kind_is_what_a_document_says_it_is(document: Any, kind: str | None) -> None:
    guessed = shapes.classify(document)
    assert (guessed.kind if guessed else None) == kind


def test_a_socket_decides_which_metadata_a_message_is() -> None:
    listen = {"type": "Metadata", "request_id": "r", "model_name": "m"}
    assert shapes.kind_of(listen, "listen") == "stream-metadata"
    assert shapes.kind_of({"type": "Results"}, "speak") is None


def test_requests_list_items_are_request_jsons_request() -> None:
    assert shapes.problems("requests-list", {"requests": [{"request_id": "r", "created": 1}]}) == [
        "requests[0].created: 1 is not of type 'string'"
    ]


def test_validate_says_kind_unknown(tmp_path: Path) -> None:
    unknown = tmp_path / "unknown.json"
    unknown.write_text('{"request_id": "r"}')
    done = subprocess.run(
        [sys.executable, "-m", "conformance", "validate", str(unknown)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1 and "kind unknown" in done.stdout, done.stdout + done.stderr


def test_every_genuine_json_recording_validates_against_a_suite_schema(shared: Path) -> None:
    checked, unchecked = [], []
    for relative, document in _recordings(shared):
        kind = _kind(relative, document)
        if kind is None:
            unchecked.append(relative)
        else:
            assert shapes.problems(kind, document) == [], relative
            checked.append(relative)
    assert unchecked == [], "recordings neither checked nor listed in OUT_OF_SCOPE"
    assert len(checked) >= 30, checked
    for prefix in OUT_OF_SCOPE:
        assert any((shared / "real-world" / prefix).iterdir()), f"{prefix} is gone: drop it"


@pytest.mark.parametrize("name", ["openapi.yaml", "asyncapi.yaml", "coverage-waivers.toml"])
def test_contract_files_ship_in_the_wheel(name: str) -> None:
    data = (REPO / "pyproject.toml").read_text()
    assert f'"*.{name.rsplit(".", 1)[1]}"' in data, name
