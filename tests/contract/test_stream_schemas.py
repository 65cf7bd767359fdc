"""The streaming schemas accept every genuine recorded frame and reject what they must."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from conformance.contract import shapes


def _frames(shared: Path) -> list[tuple[str, str, object]]:
    """Every genuine streaming message with its socket: the verbatim frames, the log's JSON
    lines, SDK files, and the quoted messages (the socket is in their file names)."""
    real = shared / "real-world"
    found: list[tuple[str, str, object]] = []
    for path in sorted((real / "ManeeshJupalle-Auricle").glob("frame_*.json")):
        found.append((path.name, "listen", json.loads(path.read_text())))
    log = real / "ManeeshJupalle-Auricle" / "gap_test_no_keepalive.log"
    for n, line in enumerate(log.read_text().splitlines()):
        if line.startswith("{"):
            found.append((f"{log.name}:{n + 1}", "listen", json.loads(line)))
    for path in sorted((real / "deepgram-python-sdk" / "listen" / "websocket").glob("*.json")):
        found.append((path.name, "listen", json.loads(path.read_text())))
    for path in sorted((real / "quotes").glob("*-ws_*")):
        socket = "speak" if "_speak-ws_" in path.name else "listen"
        text = path.read_text()
        lines = text.splitlines() if path.suffix == ".ndjson" else [text]
        found += [(f"{path.name}:{n + 1}", socket, json.loads(m)) for n, m in enumerate(lines)]
    return found


def test_every_genuine_stream_message_validates(shared: Path) -> None:
    counted: Counter[str] = Counter()
    for name, socket, body in _frames(shared):
        assert isinstance(body, dict), name
        kind = shapes.MESSAGE_KINDS[body["type"]][socket]  # type: ignore[index]
        counted[kind] += 1
        assert shapes.problems(kind, body) == [], name
    assert counted["stream-results"] >= 10 and counted["stream-metadata"] >= 3, counted
    quoted = {"stream-utterance-end", "stream-speech-started", "speak-metadata", "speak-cleared"}
    assert quoted <= set(counted), counted


def test_results_schema_rejects_a_message_without_channel_index(shared: Path) -> None:
    body = json.loads((shared / "real-world/ManeeshJupalle-Auricle/frame_002.json").read_text())
    del body["channel_index"]
    assert shapes.problems("stream-results", body) != []


def test_metadata_schema_rejects_results() -> None:
    assert shapes.problems("stream-metadata", {"type": "Results"}) != []


def test_an_empty_streams_metadata_has_no_channels() -> None:
    body = {
        "type": "Metadata",
        "transaction_key": "deprecated",
        "request_id": "r",
        "sha256": "s",
        "created": "c",
        "duration": 0.0,
        "channels": 0,
    }
    assert shapes.problems("stream-metadata", body) == []
    assert shapes.problems("stream-metadata", {**body, "channels": -1}) != []


SPEAK_METADATA = {
    "type": "Metadata",
    "request_id": "r",
    "model_name": "aura-asteria-en",
    "model_version": "v",
    "model_uuid": "u",
}


@pytest.mark.parametrize(
    ("kind", "body"),
    [
        ("stream-utterance-end", {"type": "UtteranceEnd", "channel": [0, 1]}),
        ("stream-utterance-end", {"type": "UtteranceEnd", "channel": [0], "last_word_end": 1}),
        ("stream-speech-started", {"type": "SpeechStarted", "channel": [0, 1], "timestamp": "1"}),
        ("speak-metadata", {k: v for k, v in SPEAK_METADATA.items() if k != "model_uuid"}),
        ("speak-flushed", {"type": "Flushed", "sequence_id": "0"}),
        ("speak-cleared", {"type": "Cleared"}),
        ("speak-warning", {"type": "Warning", "description": "d"}),
        ("stream-metadata", SPEAK_METADATA),  # one socket's Metadata is not the other's
        ("speak-metadata", {**SPEAK_METADATA, "type": "Results"}),
    ],
)
def test_message_schemas_reject_what_the_spec_does_not_allow(kind: str, body: Any) -> None:
    assert shapes.problems(kind, body) != []
