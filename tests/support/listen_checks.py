"""Checks of the remaining pre-recorded listen requirements (a model per channel, raw encoding,
the documented defaults, dg-request-id on errors) for the per-fault reference test
(test_reference_faults.py merges them into its CHECKS and BREAKS)."""

from __future__ import annotations

import hashlib
import io
import wave
from collections.abc import Callable
from itertools import pairwise
from typing import Any

from conformance.wire import audio

PER_CHANNEL = "multichannel=true&model=general:phonecall"


def pcm(wav: bytes) -> bytes:
    """A WAV file's samples without their header."""
    with wave.open(io.BytesIO(wav)) as source:
        return source.readframes(source.getnframes())


def _per_channel(p: Any) -> dict[str, Any]:
    body: dict[str, Any] = p.body(PER_CHANNEL, clip=audio.stereo())
    return body


def _split(p: Any) -> bool:
    """Whether multichannel=true splits the stereo clip (the suite blocks on it otherwise)."""
    return len(_per_channel(p)["results"]["channels"]) == 2


def _models(p: Any) -> bool:
    metadata = _per_channel(p)["metadata"]
    if "models" not in metadata or not _split(p):
        return True  # blocked: LISTEN-SCHEMA or LISTEN-MULTICHANNEL fails
    models = metadata["models"]
    return len(set(models)) == 2 and all(m in metadata["model_info"] for m in models)


def _raw(p: Any) -> bool:
    clip = audio.phrase()
    for rate, wav in ((16_000, clip.wav), (8_000, audio.at_8khz(clip))):
        body = pcm(wav)
        response = p.post(f"encoding=linear16&sample_rate={rate}", body, "application/octet-stream")
        if response.status_code != 200:
            return False
        metadata, as_wav = response.json()["metadata"], p.body(clip=clip)["metadata"]
        sha256_honest = as_wav["sha256"] == hashlib.sha256(clip.wav).hexdigest()
        if sha256_honest and metadata["sha256"] != hashlib.sha256(body).hexdigest():
            return False
        if abs(metadata["duration"] - as_wav["duration"]) > 0.05:
            return False
    return True


def _utt_split_default(p: Any) -> bool:
    found = p.body("utterances=true")["results"].get("utterances")
    if found is None:
        return True  # blocked: LISTEN-UTTERANCES fails
    inside = all(b["start"] - a["end"] <= 0.8 for u in found for a, b in pairwise(u["words"]))
    return len(found) >= 2 and inside


def _error_request_ids(p: Any) -> bool:
    errors = [r for r in (p.post(body=b""), p.post(authorization=None)) if r.status_code >= 400]
    for response in errors:
        header = response.headers.get("dg-request-id")
        if not header:
            return False
        if response.headers.get("content-type") == "application/json":
            in_body = response.json().get("request_id")
            if in_body is not None and in_body != header:
                return False
    return bool(errors)


LISTEN_CHECKS: dict[str, Callable[[Any], bool]] = {
    "model-per-channel": lambda p: p.status(PER_CHANNEL, body=audio.stereo().wav) == 200,
    "model-per-channel-models": _models,
    "raw-encoding": _raw,
    "default-alternatives": lambda p: all(
        len(c["alternatives"]) == 1 for c in p.body()["results"]["channels"]
    ),
    "default-utt-split": _utt_split_default,
    "error-request-id": _error_request_ids,
}
"""Requirement -> whether the server meets it."""

LISTEN_BREAKS: dict[str, set[str]] = {
    "model-per-channel-refused": {"model-per-channel", "model-per-channel-models"},
    "models-one-for-channels": {"model-per-channel-models"},
    "raw-audio-refused": {"raw-encoding"},
    "raw-rate-ignored": {"raw-encoding"},
    "strict-audio-mime": {"raw-encoding"},
    "default-alternatives-two": {"default-alternatives"},
    "default-utt-split-long": {"default-utt-split"},
    "error-no-request-id": {"error-request-id"},
    "error-request-id-differs": {"error-request-id"},
}
"""Fault -> the requirements it must break (and no others; a refused prerequisite breaks its
dependants' probes too, where the suite blocks them)."""
