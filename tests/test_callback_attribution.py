"""A target that refuses callback URLs on private hosts (as `conformance serve` does without
--allow-private-callbacks) refuses every port and scheme probe on the suite's loopback receiver:
those refusals prove nothing, so the port and protocol checks must skip, never pass, even when
the target would accept any port (the callback-any-port fault)."""

from __future__ import annotations

import json
from pathlib import Path

from runner import cli, served

KEY = "attribution-key"
UNATTRIBUTABLE = (
    "CALLBACK-PORT-REFUSED",
    "SPEAK-CALLBACK-PORT-REFUSED",
    "CALLBACK-PROTOCOLS",
    "SPEAK-CALLBACK-PROTOCOLS",
)


def test_refusals_of_private_hosts_are_not_taken_for_the_port_or_scheme_rule(
    tmp_path: Path,
) -> None:
    with served("callback-any-port", api_key=KEY, private=False) as url:
        done = cli(
            "run", "--target", url, "--api-key", KEY, "--capabilities", "listen,callbacks,speak",
            "--only", "CALLBACK", "--only", "SPEAK", "--report-dir", str(tmp_path),
        )  # fmt: skip
    assert "Traceback" not in done.stdout + done.stderr, done.stderr
    report = json.loads((tmp_path / "report.json").read_text())
    verdicts = {r["id"]: r for r in report["requirements"]}
    for requirement_id in UNATTRIBUTABLE:
        verdict, reason = verdicts[requirement_id]["verdict"], verdicts[requirement_id]["reason"]
        assert verdict == "skip", (requirement_id, verdict, reason)
        assert "private" in reason, reason
