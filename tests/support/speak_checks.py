"""Checks of /v1/speak's formats, headers, bodies and speed (issue 15) for the per-fault
reference test (test_reference_faults.py merges them into its CHECKS and BREAKS)."""

from __future__ import annotations

import json
import struct
from collections.abc import Callable
from typing import Any

import httpx

TEXT = "Hello, world."
WAV_ASKED = "encoding=mulaw&container=wav&sample_rate=16000"


def _speak(p: Any, query: str = "", text: str = TEXT) -> httpx.Response:
    body = json.dumps({"text": text}).encode()
    response: httpx.Response = p.post(
        query, body=body, content_type="application/json", path="/v1/speak"
    )
    return response


def _fmt(body: bytes) -> tuple[int, int, int, int]:
    """(format code, channels, rate, bits) of the canonical 44-byte header soundfile writes."""
    assert body[:4] == b"RIFF" and body[12:16] == b"fmt "
    code, channels, rate = struct.unpack("<HHI", body[20:28])
    return code, channels, rate, struct.unpack("<H", body[34:36])[0]


def _post(p: Any, content: bytes, content_type: str) -> int:
    status: int = p.post(
        "model=aura-2-thalia-en", body=content, content_type=content_type, path="/v1/speak"
    ).status_code
    return status


SPEAK_CHECKS: dict[str, Callable[[Any], bool]] = {
    "speak-formats": lambda p: _speak(p, "encoding=flac").status_code == 200,
    "speak-signature": lambda p: (
        _speak(p, "encoding=linear16&container=none").content[:4] != b"RIFF"
    ),
    "speak-content-type": lambda p: (
        _speak(p, "encoding=mp3").headers["content-type"] == "audio/mpeg"
    ),
    "speak-wav-header": lambda p: _fmt(_speak(p, WAV_ASKED).content)[::2] == (7, 16000),
    "speak-wav-mono": lambda p: _fmt(_speak(p, WAV_ASKED).content)[1] == 1,
    "speak-format-invalid": lambda p: _speak(p, "encoding=mp3&container=wav").status_code == 400,
    "speak-model-headers": lambda p: (
        _speak(p, "model=aura-2-thalia-en").headers["dg-model-name"] == "aura-2-thalia-en"
    ),
    "speak-model-unknown": lambda p: _speak(p, "model=aura-2-nonexistent-zz9").status_code == 400,
    "speak-char-count": lambda p: _speak(p).headers["dg-char-count"] == str(len(TEXT)),
    "speak-request-id": lambda p: bool(_speak(p).headers["dg-request-id"]),
    "speak-text-plain": lambda p: _post(p, TEXT.encode(), "text/plain") == 200,
    "speak-415": lambda p: _post(p, b"<text>Hello.</text>", "application/xml") == 415,
    "speak-text-limit": lambda p: _speak(p, text="a" * 2001).status_code == 413,
    "speak-speed": lambda p: _speak(p, "speed=0.7").status_code == 200,
    "speak-speed-range": lambda p: _speak(p, "speed=2.0").status_code == 400,
    "listen-request-id-header": lambda p: (
        p.post().headers["dg-request-id"] == p.post().json()["metadata"]["request_id"]
    ),
}
"""Behaviour -> whether the server shows it."""

SPEAK_BREAKS: dict[str, set[str]] = {
    "speak-refuses-flac": {"speak-formats"},
    "speak-none-has-header": {"speak-signature"},
    "speak-mp3-labelled-wav": {"speak-content-type"},
    "speak-wav-rate-ignored": {"speak-wav-header"},
    "speak-wav-stereo": {"speak-wav-mono"},
    "speak-any-format": {"speak-format-invalid"},
    "speak-no-model-headers": {"speak-model-headers"},
    "speak-any-model": {"speak-model-unknown"},
    "speak-char-count-off": {"speak-char-count"},
    "speak-json-only": {"speak-text-plain"},
    "speak-content-type-400": {"speak-415"},
    "speak-text-limit-unenforced": {"speak-text-limit"},
    "speak-speed-refused": {"speak-speed"},
    "speak-speed-unchecked": {"speak-speed-range"},
    "speak-no-request-id": {"speak-request-id", "requests-speak-listed"},
    "speak-not-audio": {"speak-content-type", "speak-wav-header", "speak-wav-mono"},
    "listen-request-id-header-differs": {"listen-request-id-header"},
}
"""Fault -> the checks it breaks (the probe finds a speak request in the log by its
dg-request-id, and reads audio where speak-not-audio sends JSON)."""
