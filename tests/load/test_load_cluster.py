"""`conformance load` spread over a master and two workers on loopback judges the streams as
one process does."""

from __future__ import annotations

import json
import socket
import subprocess
from collections import Counter
from pathlib import Path
from typing import Any

from load_runs import load
from runner import PYTHON

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


def test_a_remote_worker_ends_with_its_master(tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = str(probe.getsockname()[1])
    run = [PYTHON, "-m", "conformance", "load"]
    master = subprocess.Popen(
        [*run, "--master", "--workers", "1", "--master-port", port, *SMALL, "--duration", "1",
         "--report-dir", str(tmp_path)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    worker = subprocess.Popen(
        [*run, "--worker", "--master-host", "127.0.0.1", "--master-port", port],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        _, errors = master.communicate(timeout=120)
        assert master.returncode == 0, errors
        assert worker.wait(timeout=15) == 0  # not Locust's 60 s without a heartbeat
    finally:
        for process in (master, worker):
            process.kill()
            process.wait()
