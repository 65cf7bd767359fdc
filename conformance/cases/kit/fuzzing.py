"""The FUZZ campaign: schemathesis generates requests from schemas/openapi.yaml, the recording
client sends them to the target, and each FUZZ case judges the answers for its requirement.

One campaign per run, shared by the FUZZ cases. Every operation the target declares is fuzzed
with `config.examples` examples that fit the document (positive) and as many that break it
(negative), derandomised so every run sends the same requests and a failure reproduces.
Raw audio bodies are the suite's own clips; URLs the target would fetch are the suite's
receiver, a urn: or a host under .invalid, never a real host (network policy).
"""

from __future__ import annotations

import asyncio
import copy
import json
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from ipaddress import ip_address
from typing import Any
from urllib.parse import urlsplit
from weakref import WeakKeyDictionary

import requests
import schemathesis
import yaml
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Flaky, Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import CheckFunction
from schemathesis.core.failures import FailureGroup
from schemathesis.core.result import Ok
from schemathesis.core.transport import Response
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
)
from schemathesis.specs.openapi.schemas import OpenApiSchema
from schemathesis.transport.serialization import Binary

from conformance.contract.catalogue import read_schema_file, schemas_dir
from conformance.errors import CatalogueError
from conformance.run.config import RunConfig
from conformance.wire import audio, reproduce
from conformance.wire.http import Exchange, TargetClient, current_exchanges

DOCUMENT = "openapi.yaml"
NOT_FUZZED = "x-conformance-fuzz"
CAPABILITY = "x-conformance-capability"
AUDIO_URL = "x-conformance-audio-url"
WAV_FORMAT = "x-conformance-wav"
AUDIO_TYPES = ("audio/wav", "audio/wave", "audio/x-wav")
RECEIVER_CLIP = "http://receiver.invalid/audio/phrase.wav"
"""Stands for the receiver's URL of the short phrase in generated bodies; replaced when sent (kept
as it is, a host that cannot exist, when the target cannot reach the receiver)."""
AUDIO_URLS = (RECEIVER_CLIP, "urn:conformance:no-audio-here", "https://no-audio.invalid/a.wav")
"""Every URL a generated body may ask the target to fetch."""
KEY_ID = "conformance-key-id"
REQUEST_ID = "conformance-request-id"
"""Stand in for a key id (--api-key-id) and a request id (from a listen answer of the campaign)
in generated paths, so the single-item GETs can reach their 200."""
NETWORK_SCHEMES = frozenset({"http", "https", "ws", "wss", "ftp"})
METHODS = ("get", "put", "post", "delete", "patch")
GENERATION_ATTEMPTS = 2
"""Generation is deterministic; a second attempt covers a rare hypothesis Flaky under load, and
CPython 3.11.7's race in building ASTs beside other threads (SystemError, gh-106905)."""
REASON_CHARS = 600
"""schemathesis' account of a failure, on one line, cut to this length for the verdict."""
Generated = schemathesis.Case[Any]
"""A request schemathesis generated for one operation."""

CONFIG = schemathesis.Config.from_dict(
    {
        "checks": {"negative_data_rejection": {"expected-statuses": ["4XX", "5XX"]}},
        "output": {"sanitization": {"enabled": False}},
    }
)
"""A refused invalid request may take any 4xx (a 5xx is FUZZ-NO-5XX's finding, not this one's).
Sanitisation off: the exchanges are redacted already, and reproducers carry $DEEPGRAM_API_KEY."""


@cache
def document() -> dict[str, Any]:
    """schemas/openapi.yaml, parsed once."""
    try:
        loaded: dict[str, Any] = yaml.safe_load(read_schema_file(DOCUMENT))
    except yaml.YAMLError as exc:
        raise CatalogueError(f"schemas/{DOCUMENT} is not valid YAML: {exc}") from exc
    return loaded


def fuzzed_document(
    capabilities: frozenset[str], project_id: str | None
) -> tuple[dict[str, Any], list[str]]:
    """The document as the campaign uses it, and a note for each operation left out.

    Left out: operations and parameters marked x-conformance-fuzz: false (they change the
    target's state or send it elsewhere), operations of an undeclared capability, and project
    operations when the run has no --project-id. Security is dropped: the run's own credentials
    go with every request, and AUTH checks credentials.
    """
    doc = copy.deepcopy(document())
    doc.pop("security", None)
    _confine_audio_urls(doc)
    notes = []
    for path, item in list(doc["paths"].items()):
        shared = item.pop("parameters", [])
        for method in [m for m in METHODS if m in item]:
            operation = item[method]
            label = f"{method.upper()} {path}"
            capability = operation.get(CAPABILITY)
            if operation.get(NOT_FUZZED) is False:
                notes.append(f"{label}: not fuzzed (it changes the target's state)")
            elif capability and capability not in capabilities:
                notes.append(f"{label}: the target does not declare {capability}")
            elif "{project_id}" in path and not project_id:
                notes.append(f"{label}: no --project-id given")
            else:
                parameters = [*shared, *operation.get("parameters", [])]
                operation["parameters"] = [p for p in parameters if p.get(NOT_FUZZED) is not False]
                continue
            del item[method]
        if not any(m in item for m in METHODS):
            del doc["paths"][path]
    return doc, notes


def _confine_audio_urls(node: Any) -> None:
    """Replace every schema marked x-conformance-audio-url by the URLs the campaign may send."""
    children = node.values() if isinstance(node, dict) else node if isinstance(node, list) else ()
    for child in children:
        if isinstance(child, dict) and child.get(AUDIO_URL) is True:
            child.clear()
            child["enum"] = list(AUDIO_URLS)
        _confine_audio_urls(child)


def _audio_body(_: schemathesis.SerializationContext, value: Any) -> bytes:
    """A raw audio body as sent: the clip's bytes, or an invalid value's JSON spelling."""
    if isinstance(value, Binary):
        return value.data
    return value if isinstance(value, bytes) else json.dumps(value).encode()


@cache
def _register_audio() -> None:
    """Teach schemathesis to send WAV bodies and to generate them as the suite's short phrase
    (a valid body is all a generated request needs of its audio)."""
    schemathesis.serializer(*AUDIO_TYPES)(_audio_body)
    schemathesis.openapi.format(WAV_FORMAT, st.just(audio.phrase().wav))


def load_schema(
    capabilities: frozenset[str], project_id: str | None
) -> tuple[OpenApiSchema, list[str]]:
    """The schemathesis schema of the fuzzed document, its relative $refs resolved in schemas/."""
    doc, notes = fuzzed_document(capabilities, project_id)
    _register_audio()
    schema = schemathesis.openapi.from_dict(doc, config=CONFIG)
    schema.location = (schemas_dir().joinpath(DOCUMENT)).as_uri()  # type: ignore[attr-defined]
    return schema, notes


def modes(operation: dict[str, Any]) -> tuple[GenerationMode, ...]:
    """Positive always; negative where there is something to break (a body or a query), since
    a path parameter alone has no invalid value that still makes a request to the operation."""
    breakable = "requestBody" in operation or any(
        p.get("in") == "query" for p in operation.get("parameters", [])
    )
    if breakable:
        return (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
    return (GenerationMode.POSITIVE,)


@dataclass
class Probe:
    """One generated request, the target's answer, and how schemathesis sees that answer."""

    case: Generated
    mode: GenerationMode
    exchange: Exchange
    response: Response
    content: bytes | None
    """The body exactly as sent (the exchange's evidence keeps only an excerpt)."""

    def failure(self, checks: list[CheckFunction]) -> str | None:
        """schemathesis' report of the checks this answer breaks, or None."""
        try:
            self.case.validate_response(self.response, checks=checks)
        except FailureGroup as group:
            text = "; ".join(f"{f.title}: {f.message}" for f in group.exceptions)
            return " ".join(text.split())[:REASON_CHARS]
        return None


@dataclass
class Campaign:
    """Everything the fuzzer sent and got back, for the FUZZ cases to judge."""

    probes: list[Probe]
    notes: list[str]

    def of(self, mode: GenerationMode) -> Iterator[Probe]:
        """The probes generated in one mode."""
        return (p for p in self.probes if p.mode is mode)


def _query(params: dict[str, Any]) -> list[tuple[str, str]]:
    """schemathesis query values as ordered pairs; arrays (explode) repeat the name."""
    pairs = []
    for name, value in params.items():
        values = value if isinstance(value, list | tuple | dict) else [value]
        pairs += [(name, v if isinstance(v, str) else json.dumps(v)) for v in values]
    return pairs


def _body(kwargs: dict[str, Any]) -> bytes | None:
    """The request body schemathesis serialised, as bytes."""
    if "json" in kwargs:
        return json.dumps(kwargs["json"]).encode()
    data = kwargs.get("data")
    if data is None:
        return None
    return data.encode() if isinstance(data, str) else bytes(data)


def _strings(node: Any) -> Iterator[str]:
    """Every string in a JSON value, keys included."""
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for key, value in node.items():
            yield key
            yield from _strings(value)
    elif isinstance(node, list):
        for item in node:
            yield from _strings(item)


def _confined_host(text: str) -> bool:
    """Whether a string, read as a URL, names no network host but loopback or .invalid ones."""
    try:
        parts = urlsplit(text.strip())
        host = parts.hostname
    except ValueError:
        return True  # not a URL a target could open
    if parts.scheme.lower() not in NETWORK_SCHEMES or not host:
        return True
    if host == "localhost" or host.endswith((".invalid", ".localhost")) or host == "invalid":
        return True
    try:
        return ip_address(host).is_loopback
    except ValueError:
        return False


def outside_hosts(case: Generated) -> list[str]:
    """URLs in a generated request's query or JSON body that name a real host (network policy:
    such a request is never sent, since the target might fetch or call it)."""
    kwargs = case.as_transport_kwargs(base_url="http://127.0.0.1")
    values: list[Any] = [kwargs.get("params") or {}]
    if "json" in kwargs:
        values.append(kwargs["json"])
    return [text for value in values for text in _strings(value) if not _confined_host(text)]


def _response(exchange: Exchange, content: bytes | None) -> Response:
    """A schemathesis Response from a recorded exchange (credentials already redacted)."""
    request = requests.Request(
        exchange.method, exchange.url, headers=exchange.request_headers, data=content
    ).prepare()
    return Response(
        status_code=exchange.status or 0,
        headers={k: [v] for k, v in exchange.response_headers.items()},
        content=exchange.content,
        request=request,
        elapsed=exchange.elapsed,
        verify=True,
    )


async def send(
    client: TargetClient, case: Generated, stand_ins: dict[str, str]
) -> tuple[Exchange, bytes | None]:
    """Send one generated case through the recording client, with the run's credentials, its
    stand-ins (receiver URL, known ids) replaced by the run's values."""
    kwargs = case.as_transport_kwargs(base_url=client.base_url)
    content = _body(kwargs)
    content_type = next(
        (v for k, v in kwargs.get("headers", {}).items() if k.lower() == "content-type"), None
    )
    path = kwargs["url"][len(client.base_url) :]
    for stand_in, value in stand_ins.items():
        path = path.replace(stand_in, value)
        if content is not None and content_type == "application/json":
            content = content.replace(stand_in.encode(), value.encode())
    exchange = await client.request(
        case.method,
        path,
        params=_query(kwargs.get("params") or {}),
        content=content,
        content_type=content_type if content is not None else None,
    )
    return exchange, content


def reproducer(probe: Probe) -> str:
    """A curl command repeating a probe byte for byte, the key as $DEEPGRAM_API_KEY."""
    return reproduce.curl(probe.exchange.evidence(), body=probe.content)


def _examples(operation: Any, path_parameters: dict[str, str]) -> list[Generated]:
    """The request bodies the document gives as examples, each sent as it stands."""
    content = operation.definition.raw.get("requestBody", {}).get("content", {})
    return [
        operation.Case(body=example["value"], media_type=media, path_parameters=path_parameters)
        for media, body in content.items()
        for example in body.get("examples", {}).values()
    ]


@cache
def plan(
    examples: int, capabilities: frozenset[str], project_id: str | None
) -> tuple[tuple[tuple[Generated, GenerationMode], ...], tuple[str, ...]]:
    """Every request of a campaign, generated before any is sent, and the notes on what was left
    out. Derandomised generation gives the same requests for the same inputs, so a process that
    runs the suite many times (the fault matrix) generates them once."""
    schema, notes = load_schema(capabilities, project_id)
    path_parameters = {"key_id": KEY_ID, "request_id": REQUEST_ID}
    if project_id:
        path_parameters["project_id"] = project_id
    cases: list[tuple[Generated, GenerationMode]] = []
    withheld: list[str] = []

    def generate(operation: Any, mode: GenerationMode) -> None:
        names = {p.name for p in operation.path_parameters}
        fixed = {k: v for k, v in path_parameters.items() if k in names}
        strategy = operation.as_strategy(generation_mode=mode, path_parameters=fixed)
        if mode is GenerationMode.POSITIVE:
            cases.extend((example, mode) for example in _examples(operation, fixed))

        @settings(
            max_examples=examples,
            derandomize=True,
            database=None,
            deadline=None,
            phases=(Phase.explicit, Phase.generate),
            suppress_health_check=list(HealthCheck),
        )
        @given(strategy)
        def collect(case: Generated) -> None:
            outside = outside_hosts(case)
            if outside:
                withheld.append(f"{case.operation.label}: {outside[0]}")
            else:
                cases.append((case, mode))

        collect()

    for result in schema.get_all_operations():
        if not isinstance(result, Ok):
            raise CatalogueError(f"schemas/{DOCUMENT}: {result.err()}")
        operation = result.ok()
        for mode in modes(operation.definition.raw):
            try:
                generate(operation, mode)
            except Unsatisfiable:
                notes.append(f"{operation.label}: no {mode.value} request can be generated")
    if withheld:
        notes.append(
            f"{len(withheld)} generated requests not sent: a URL in them names a host outside "
            f"loopback and .invalid (first: {withheld[0]})"
        )
    return tuple(cases), tuple(notes)


def _request_id(probes: list[Probe]) -> str | None:
    """The request_id of a transcription the campaign got back, for the single-request GET."""
    for probe in probes:
        if probe.case.operation.path == "/v1/listen" and probe.exchange.status == 200:
            try:
                found = json.loads(probe.exchange.content)["metadata"]["request_id"]
            except (ValueError, KeyError, TypeError):
                continue
            if isinstance(found, str) and found:
                return found
    return None


async def run_campaign(config: RunConfig, client: TargetClient, audio_url: str | None) -> Campaign:
    """Generate the campaign's requests (in a worker thread), then send them: first all but the
    single-request GETs, then those, with a request id the first wave got back."""
    current_exchanges.set(None)  # each FUZZ case records the exchanges its verdict rests on
    for attempt in range(1, GENERATION_ATTEMPTS + 1):
        try:
            cases, notes = await asyncio.to_thread(
                plan, config.examples, config.capabilities, config.project_id
            )
            break
        except (Flaky, SystemError):  # seen under load, beside other property cases' threads
            if attempt == GENERATION_ATTEMPTS:
                raise
    stand_ins = {RECEIVER_CLIP: audio_url} if audio_url else {}
    if config.credentials.api_key_id:
        stand_ins[KEY_ID] = config.credentials.api_key_id

    async def probe(case: Generated, mode: GenerationMode) -> Probe:
        exchange, content = await send(client, case, stand_ins)
        return Probe(case, mode, exchange, _response(exchange, content), content)

    later = [(c, m) for c, m in cases if "{request_id}" in c.operation.path]
    first = [(c, m) for c, m in cases if "{request_id}" not in c.operation.path]
    probes = list(await asyncio.gather(*(probe(case, mode) for case, mode in first)))
    request_id = _request_id(probes)
    if request_id:
        stand_ins[REQUEST_ID] = request_id
    probes += await asyncio.gather(*(probe(case, mode) for case, mode in later))
    return Campaign(probes, list(notes))


_CAMPAIGNS: WeakKeyDictionary[TargetClient, asyncio.Task[Campaign]] = WeakKeyDictionary()
"""The run's campaign, keyed by the run's client: started by the first FUZZ case, shared."""


async def campaign_for(config: RunConfig, client: TargetClient, audio_url: str | None) -> Campaign:
    """The run's campaign, started on first use; `audio_url` is where the target can fetch the
    short phrase from the receiver (None: it cannot reach the receiver)."""
    task = _CAMPAIGNS.get(client)
    if task is None:
        task = asyncio.ensure_future(run_campaign(config, client, audio_url))
        _CAMPAIGNS[client] = task
    return await asyncio.shield(task)


CHECKS: dict[str, list[CheckFunction]] = {
    "conforms": [content_type_conformance, response_schema_conformance],
    "refused": [negative_data_rejection],
}
