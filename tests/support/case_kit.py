"""A case judged without a network: its CaseContext's client talks to an httpx.MockTransport
handler standing in for the target, so a case's logic is tested alone, in milliseconds."""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from conformance.cases.kit.context import CaseContext, Fixtures
from conformance.contract import catalogue
from conformance.run.config import RunConfig
from conformance.run.profile import EMPTY
from conformance.wire.http import TargetClient
from conformance.wire.limits import Concurrency
from conformance.wire.receiver import Receiver
from conformance.wire.redact import Redactor

Handler = Callable[[httpx.Request], httpx.Response]
TARGET = "http://target.test"


def transcription(request: httpx.Request, **metadata: Any) -> dict[str, Any]:
    """A minimal transcription of the request's audio, true to it unless `metadata` says
    otherwise (sha256 of the body, a fresh request_id, one channel, no words)."""
    return {
        "metadata": {
            "request_id": str(uuid.uuid4()),
            "sha256": hashlib.sha256(request.content).hexdigest(),
            "created": "2026-12-04T12:00:00.000Z",
            "duration": 1.0,
            "channels": 1,
            "models": ["m"],
            "model_info": {"m": {"name": "mock", "version": "1", "arch": "mock"}},
            **metadata,
        },
        "results": {
            "channels": [{"alternatives": [{"transcript": "", "confidence": 0.0, "words": []}]}]
        },
    }


def judge(case: Callable[[CaseContext], Awaitable[None]], handler: Handler) -> None:
    """Run one case function against `handler` as the target; its outcome (CheckFailed,
    Blocked, Skipped) propagates, a pass returns None."""

    async def run() -> None:
        config = RunConfig.resolve({"target": TARGET, "api_key": "unit-key"}, EMPTY, {})
        redactor = Redactor(["unit-key"])
        client = TargetClient(
            TARGET,
            config.credentials.authorization(),
            redactor,
            config.timing.request,
            Concurrency(),
            transport=httpx.MockTransport(handler),
        )
        receiver = Receiver("127.0.0.1", None, 1, 1, reachable_from_target=False)
        context = CaseContext(
            config, catalogue.load(), client, Fixtures(client), receiver, redactor
        )
        try:
            await case(context)
        finally:
            await client.aclose()

    asyncio.run(run())
