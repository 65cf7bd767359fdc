"""`conformance load` spread over a master and two workers on loopback judges the streams as
one process does."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

from load_runs import load

SMALL = ("--streams", "6", "--clip", "phrase", "--stream-seconds", "1", "--ramp", "1")
"""Six streams of the 1.3 s clip, reached in a second."""


def _verdicts(document: dict[str, Any]) -> Counter[str]:
    """Every stream's verdict as requirement IDs judged and broken, counted."""
    return Counter(
        json.dumps([sorted(stream["judged"]), sorted(stream["broken"])])
        for stream in document["per_stream"]
    )


def test_a_master_and_two_workers_judge_as_one_process(tmp_path: Path) -> None:
    flags = (*SMALL, "--duration", "2")
    alone = load(tmp_path / "alone", *flags, "--workers", "0")
    spread = load(tmp_path / "spread", *flags, "--workers", "2")
    assert alone["setup"]["processes"] == 1 and spread["setup"]["processes"] == 3
    assert alone["setup"]["lost_streams"] == spread["setup"]["lost_streams"] == 0
    assert alone["exit"] == spread["exit"] == 0
    assert alone["streams"] >= 6 and spread["streams"] >= 6  # each user ends its stream
    assert _verdicts(alone).keys() == _verdicts(spread).keys()
    assert alone["violations"] == spread["violations"] == []
    assert spread["setup"]["locust"]["stream"]["count"] == spread["streams"]
    assert "conformant up to" in spread["stdout"]
