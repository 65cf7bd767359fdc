"""The streaming schemas accept every genuine recorded frame and reject what they must."""

from __future__ import annotations

import json
from pathlib import Path

from conformance import shapes


def _frames(shared: Path) -> list[tuple[str, object]]:
    """Every genuine streaming message: the verbatim frames, the log's JSON lines, SDK files."""
    real = shared / "real-world"
    found: list[tuple[str, object]] = []
    for path in sorted((real / "ManeeshJupalle-Auricle").glob("frame_*.json")):
        found.append((path.name, json.loads(path.read_text())))
    log = real / "ManeeshJupalle-Auricle" / "gap_test_no_keepalive.log"
    for n, line in enumerate(log.read_text().splitlines()):
        if line.startswith("{"):
            found.append((f"{log.name}:{n + 1}", json.loads(line)))
    for path in sorted((real / "deepgram-python-sdk" / "listen" / "websocket").glob("*.json")):
        found.append((path.name, json.loads(path.read_text())))
    return found


def test_every_genuine_stream_message_validates(shared: Path) -> None:
    frames = _frames(shared)
    kinds = {"Results": "stream-results", "Metadata": "stream-metadata"}
    counted = {kind: 0 for kind in kinds}
    for name, body in frames:
        assert isinstance(body, dict), name
        kind = body["type"]
        counted[kind] += 1
        assert shapes.problems(kinds[kind], body) == [], name
    assert counted["Results"] >= 10 and counted["Metadata"] >= 2, counted


def test_results_schema_rejects_a_message_without_channel_index(shared: Path) -> None:
    body = json.loads((shared / "real-world/ManeeshJupalle-Auricle/frame_002.json").read_text())
    del body["channel_index"]
    assert shapes.problems("stream-results", body) != []


def test_metadata_schema_rejects_results() -> None:
    assert shapes.problems("stream-metadata", {"type": "Results"}) != []
