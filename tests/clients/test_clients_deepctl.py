"""The official CLI, deepctl 0.4 (PyPI), drives `conformance serve` with --base-url (issue 21):
its key check (GET /v1/projects, before every command), listen on a file and on a raw stream,
speak, projects, keys (list and --show), usage, requests, models, members and billing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import venv
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from runner import reference

from conformance.wire import audio

VERSION = "0.4.0"
KEY = "deepctl-test-key"
KEY_ID = "a1b2c3d4-0000-4000-8000-000000000001"
PROJECT = "a1b2c3d4-0000-4000-8000-0000000000aa"
FOLDER = Path(tempfile.gettempdir()) / "conformance-clients" / f"deepctl-{VERSION}"
"""A virtual environment of its own (deepctl pins its own dependencies), kept for later runs."""


def _installed() -> Path:
    """deepctl's executable, installed on first use; a skip saying why when pip cannot."""
    binary = FOLDER / "bin" / "deepctl"
    if binary.exists():
        return binary
    venv.create(FOLDER, with_pip=True, clear=True)
    try:
        done = subprocess.run(
            [str(FOLDER / "bin" / "python"), "-m", "pip", "install", "-q", f"deepctl=={VERSION}"],
            capture_output=True,
            text=True,
            timeout=600,
        )
    except subprocess.TimeoutExpired:
        pytest.skip(f"pip install deepctl=={VERSION} took over 600 s (is the index reachable?)")
    if done.returncode != 0 or not binary.exists():
        pytest.skip(f"pip could not install deepctl=={VERSION}: {done.stderr.strip()[-300:]}")
    return binary


@pytest.fixture(scope="module")
def deepctl(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A function running one deepctl command against one `conformance serve` for the module;
    it returns (exit code, the JSON document deepctl printed, stderr)."""
    if sys.platform == "win32":
        pytest.skip("the cached deepctl environment is laid out for POSIX")
    binary = _installed()
    home = tmp_path_factory.mktemp("deepctl-home")
    with reference(api_key=KEY) as url:
        env = {
            **os.environ,
            "HOME": str(home),
            "DEEPGRAM_PROJECT_ID": PROJECT,
            "DO_NOT_TRACK": "1",
        }
        env.pop("DEEPGRAM_API_KEY", None)

        def run(*args: str, stdin: bytes | None = None) -> tuple[int, Any, str]:
            command = [str(binary), "--base-url", url, "--api-key", KEY, "--non-interactive"]
            done = subprocess.run(
                [*command, "-o", "json", *args],
                input=stdin,
                capture_output=True,
                env=env,
                cwd=home,
                timeout=120,
            )
            out = done.stdout.decode()
            start = out.find("{")
            document = json.loads(out[start:]) if start >= 0 else None
            return done.returncode, document, done.stderr.decode()

        yield run


def test_projects_passes_the_key_check(deepctl: Any) -> None:
    code, document, err = deepctl("projects")
    assert code == 0, err
    assert [p["project_id"] for p in document["projects"]] == [PROJECT]


def test_listen_a_file_then_requests_lists_it(deepctl: Any, tmp_path: Path) -> None:
    clip = tmp_path / "mono.wav"
    clip.write_bytes(audio.mono().wav)
    code, document, err = deepctl("listen", str(clip))
    assert code == 0, err
    request_id = document["metadata"]["request_id"]
    code, listed, err = deepctl("requests")
    assert code == 0, err
    mine = [r for r in listed["requests"] if r["request_id"] == request_id]
    assert mine and mine[0]["status"] == "succeeded" and mine[0]["method"] == "sync"
    assert mine[0]["duration"] == pytest.approx(audio.mono().duration, abs=0.05)


def test_listen_a_raw_stream(deepctl: Any) -> None:
    raw = audio.mono().wav[44:]
    code, document, err = deepctl(
        "listen", "-", "--encoding", "linear16", "--sample-rate", "16000", stdin=raw
    )
    assert code == 0, err
    assert document["status"] == "success" and document["mode"] == "live"
    assert document["transcript"]
    code, listed, err = deepctl("requests")
    assert "streaming" in {r["method"] for r in listed["requests"]}


def test_speak_writes_wav_audio(deepctl: Any, tmp_path: Path) -> None:
    out = tmp_path / "hello.wav"
    code, document, err = deepctl(
        "speak", "Hello there", "-m", "aura-2-thalia-en", "--encoding", "linear16",
        "--container", "wav", "-o", str(out),
    )  # fmt: skip
    assert code == 0, err
    assert document["status"] == "success" and out.read_bytes()[:4] == b"RIFF"


def test_keys_list_and_show(deepctl: Any) -> None:
    code, listed, err = deepctl("keys")
    assert code == 0, err
    assert KEY_ID in [k["key_id"] for k in listed["keys"]]
    code, shown, err = deepctl("keys", "--show", KEY_ID)
    assert code == 0, err
    assert shown["keys"][0]["key_id"] == KEY_ID and shown["keys"][0]["scopes"]


def test_usage_models_members_billing(deepctl: Any) -> None:
    for command in ("usage", "models", "members", "billing"):
        code, document, err = deepctl(command)
        assert code == 0 and document["status"] == "success", (command, err)
