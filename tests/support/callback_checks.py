"""Checks of /v1/speak for the per-fault reference test (test_reference_faults.py merges them).

Callback faults show only in deliveries, which these synchronous probes cannot receive (their
servers refuse loopback callback URLs); they map to no probe here and are proved by the suite
run of the fault matrix (tests/support/matrix_shards.py) and by
tests/reference/test_reference_callbacks.py."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from conformance.reference import FAULTS


def _speaks(p: Any) -> bool:
    body = json.dumps({"text": "Hello there."}).encode()
    response = p.post(body=body, content_type="application/json", path="/v1/speak")
    return bool(
        response.status_code == 200
        and response.headers.get("content-type") == "audio/wav"
        and response.content.startswith(b"RIFF")
    )


CALLBACK_CHECKS: dict[str, Callable[[Any], bool]] = {"speak-audio": _speaks}
"""Requirement -> whether the server meets it."""

CALLBACK_BREAKS: dict[str, set[str]] = {
    fault: {"speak-audio"} if fault == "speak-not-audio" else set()
    for fault in FAULTS
    if fault.startswith(("callback-", "speak-"))
}
"""Fault -> the probes it must break (and no others)."""
