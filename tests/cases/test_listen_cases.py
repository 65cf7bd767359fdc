"""LISTEN case logic on canned answers: what a case concludes when a target recognises nothing."""

from __future__ import annotations

import asyncio
from typing import Any, cast

import pytest

from conformance.cases.kit.context import CaseContext
from conformance.cases.listen.transcript import utterances_returned
from conformance.errors import CheckFailed, Skipped
from conformance.wire.audio import TestAudio


class _Canned:
    """Just enough of a CaseContext: every transcription is the same canned body."""

    check = CaseContext.check
    fail = CaseContext.fail
    skip = staticmethod(CaseContext.skip)
    rests_on = None

    def __init__(self, body: dict[str, Any]) -> None:
        self.body = body

    async def transcription(self, clip: TestAudio, params: object = ()) -> dict[str, Any]:
        return self.body


def _transcription(words: list[dict[str, Any]]) -> dict[str, Any]:
    """A mono transcription with these words and an empty results.utterances."""
    alternative = {"transcript": "", "confidence": 0.0, "words": words}
    return {
        "metadata": {},
        "results": {"channels": [{"alternatives": [alternative]}], "utterances": []},
    }


def _run(body: dict[str, Any]) -> None:
    asyncio.run(utterances_returned(cast(CaseContext, _Canned(body))))


def test_utterances_skip_when_no_words_were_recognised() -> None:
    with pytest.raises(Skipped, match="recognised no words"):
        _run(_transcription([]))


def test_utterances_fail_when_words_have_no_utterance() -> None:
    word = {"word": "hello", "start": 0.5, "end": 0.9, "confidence": 0.9}
    with pytest.raises(CheckFailed, match="empty although 1 words"):
        _run(_transcription([word]))
