"""The official npm SDK (@deepgram/sdk) drives `conformance serve` (issue 21): transcription of a
file and a URL, a callback, a live stream to a clean close, speech, the token grant, projects,
keys, requests, usage, fields, breakdown, models, members and balances; every JSON answer is
type-checked against the SDK's own TypeScript types with tsc --strict."""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from runner import reference
from sdk_support import TIMING, audio_server, callback_receiver

from conformance.wire import audio

SDK = "@deepgram/sdk@5.13.0"
TYPESCRIPT = "typescript@7.0.2"
KEY = "npm-test-key"
PROJECT = "a1b2c3d4-0000-4000-8000-0000000000aa"
DRIVER = Path(__file__).parent / "npm_client" / "drive.mjs"
FOLDER = Path(tempfile.gettempdir()) / "conformance-clients" / "npm-sdk-5.13.0"
"""Where the SDK is installed once and kept for later runs."""
TSCONFIG = {
    "compilerOptions": {
        "strict": True,
        "noEmit": True,
        "module": "nodenext",
        "moduleResolution": "nodenext",
        "target": "es2022",
        "skipLibCheck": True,
    },
    "files": ["check.ts"],
}


def _installed() -> Path:
    """The folder holding the SDK and TypeScript, installed on first use; a skip saying why when
    Node.js, npm or the registry is missing (CI has only Python)."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        pytest.skip("Node.js and npm are not on this machine: the npm SDK cannot be tried")
    if not (FOLDER / "node_modules" / "@deepgram" / "sdk").is_dir():
        FOLDER.mkdir(parents=True, exist_ok=True)
        try:
            done = subprocess.run(
                [
                    npm,
                    "install",
                    "--no-audit",
                    "--no-fund",
                    "--prefix",
                    str(FOLDER),
                    SDK,
                    TYPESCRIPT,
                ],
                capture_output=True,
                text=True,
                timeout=300,
            )
        except subprocess.TimeoutExpired:
            pytest.skip(f"npm install {SDK} took over 300 s (is the registry reachable?)")
        if done.returncode != 0:
            pytest.skip(f"npm could not install {SDK}: {done.stderr.strip()[-300:]}")
    shutil.copy(DRIVER, FOLDER / "drive.mjs")
    return FOLDER


@pytest.fixture(scope="module")
def driven() -> Iterator[dict[str, Any]]:
    """One `conformance serve` driven once by the SDK through every call; what it recorded,
    plus the callback deliveries and the server's request log."""
    folder = _installed()
    wav = folder / "mono.wav"
    wav.write_bytes(audio.mono().wav)
    with (
        callback_receiver() as (callback_url, deliveries),
        audio_server() as clip_url,
        reference(api_key=KEY) as url,
    ):
        env = {
            "PATH": str(Path(shutil.which("node") or "node").parent),
            "CONFORMANCE_URL": url,
            "CONFORMANCE_KEY": KEY,
            "CONFORMANCE_PROJECT": PROJECT,
            "CONFORMANCE_WAV": str(wav),
            "CONFORMANCE_AUDIO_URL": clip_url,
            "CONFORMANCE_CALLBACK_URL": callback_url,
            "CONFORMANCE_OUT": str(folder / "out.json"),
        }
        ran = subprocess.run(
            ["node", "drive.mjs"], cwd=folder, env=env, capture_output=True, text=True, timeout=120
        )
        assert ran.returncode == 0, ran.stderr[-2000:]
        recorded: dict[str, Any] = json.loads((folder / "out.json").read_text())
        recorded["delivery"] = deliveries.get(timeout=TIMING.first_delivery())
        logged = httpx.get(
            f"{url}/v1/projects/{PROJECT}/requests",
            params={"limit": "100"},
            headers={"Authorization": f"Token {KEY}"},
            timeout=10,
        ).json()["requests"]
        recorded["log"] = logged
    yield recorded


def test_every_call_succeeds(driven: dict[str, Any]) -> None:
    assert driven["failures"] == {}
    assert set(driven["bodies"]) >= {
        "transcribe_file", "transcribe_url", "callback", "stream", "speak", "grant",
        "projects_list", "projects_get", "keys_list", "keys_create", "keys_get", "keys_delete",
        "requests_list", "requests_get", "usage", "fields", "breakdown", "models", "members",
        "balances",
    }  # fmt: skip


def test_stream_ends_cleanly_and_speech_is_audio(driven: dict[str, Any]) -> None:
    stream = driven["bodies"]["stream"]["body"]
    assert (
        stream["code"] == 1000
        and stream["types"][-1] == "Metadata"
        and "Results" in stream["types"]
    )
    assert driven["bodies"]["speak"]["body"]["bytes"] > 44


def test_callback_is_delivered(driven: dict[str, Any]) -> None:
    method, content_type, body = driven["delivery"]
    accepted = driven["bodies"]["callback"]["body"]["request_id"]
    assert (method, content_type) == ("POST", "application/json")
    assert json.loads(body)["metadata"]["request_id"] == accepted


def test_every_kind_of_request_is_in_the_log(driven: dict[str, Any]) -> None:
    kinds = {(r["path"], r["response"]["details"]["method"]) for r in driven["log"]}
    assert {("/v1/listen", "sync"), ("/v1/listen", "async"), ("/v1/listen", "streaming")} <= kinds
    assert ("/v1/speak", "sync") in kinds
    assert {"npm-sdk", "npm-stream"} <= set(driven["bodies"]["fields"]["body"]["tags"])


def test_every_answer_fits_the_sdks_typescript_types(driven: dict[str, Any]) -> None:
    lines = ['import type * as Deepgram from "@deepgram/sdk";']
    for name, entry in sorted(driven["bodies"].items()):
        if entry["type"]:
            lines.append(f"const {name}_body = {json.dumps(entry['body'])};")
            lines.append(f"export const {name}: Deepgram.{entry['type']} = {name}_body;")
    (FOLDER / "check.ts").write_text("\n".join(lines) + "\n")
    (FOLDER / "tsconfig.json").write_text(json.dumps(TSCONFIG))
    tsc = FOLDER / "node_modules" / "typescript" / "bin" / "tsc"
    checked = subprocess.run(
        ["node", str(tsc), "-p", "tsconfig.json"],
        cwd=FOLDER,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert checked.returncode == 0, checked.stdout[-3000:]
