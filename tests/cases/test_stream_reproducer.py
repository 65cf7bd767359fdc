"""A stream check's reproducer replays the stream its failure describes (issue 18): a case that
judges several streams in turn fails on one, and the replay is that one, not the last played."""

from __future__ import annotations

import json
import re
from pathlib import Path

from runner import cli, served


def test_the_reproducer_replays_the_stream_the_failure_names(tmp_path: Path) -> None:
    with served("stream-words-outside-window") as url:
        done = cli(
            "run", "--target", url, "--api-key", "cli-test-key", "--only", "STREAM",
            "--report-dir", str(tmp_path),
        )  # fmt: skip
    assert done.returncode == 1, done.stderr
    report = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    entry = next(e for e in report["requirements"] if e["id"] == "STREAM-WORD-TIMES")
    assert entry["verdict"] == "fail"
    named = re.search(r"stream of (\d+)-channel (\S+) at (\d+) Hz", entry["reason"])
    assert named is not None, entry["reason"]
    channels, encoding, rate = named.groups()
    replay = entry["cases"][0]["reproducer"]
    assert f"encoding={encoding}" in replay and f"sample_rate={rate}" in replay, replay
    assert f"channels={channels}" in replay, replay
