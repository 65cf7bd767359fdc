"""A failure's reproducer repeats the exchange its verdict rests on, with the literal credentials
that were the point of it, not whatever the case sent last (issue 13)."""

from __future__ import annotations

import json
from pathlib import Path

from runner import cli, served


def test_wrong_key_reproducer_repeats_the_accepted_unknown_key(tmp_path: Path) -> None:
    with served("any-key-accepted", api_key="cli-test-key") as url:
        done = cli(
            "run", "--target", url, "--api-key", "cli-test-key", "--only", "AUTH",
            "--report-dir", str(tmp_path),
        )  # fmt: skip
    assert done.returncode == 1, done.stdout + done.stderr
    report = json.loads((tmp_path / "report.json").read_text())
    wrong = next(r for r in report["requirements"] if r["id"] == "AUTH-WRONG-KEY")
    assert wrong["verdict"] == "fail"
    script = wrong["cases"][0]["reproducer"]
    # The route control (the run's own key) and the Bearer probe were sent after the Token
    # probe that the verdict rests on: the reproducer must be that one, its key literal.
    assert "Authorization: Token conformance-wrong-key" in script, script
    assert "$DEEPGRAM_API_KEY" not in script and "Bearer" not in script, script
