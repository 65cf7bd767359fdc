"""A failing FUZZ case's reproducer, pasted into a shell, shows the failure again: it runs
against the faulted reference server that failed, and a conformant one answers it correctly."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import Collector

from conformance import loop
from conformance.config import AuthScheme, Credentials, RunConfig
from conformance.embedded import EmbeddedServer, embedded_server
from conformance.engine import Engine
from conformance.timing import EMBEDDED_RETRY_DELAY, TEARDOWN, Timing

FAULTS = ("non-http-url-500", "grant-ignores-body", "errors-as-text")
WRITE_OUT = " -o /dev/null -w '%{http_code} %{content_type}'"
"""Appended to a reproducer (curl is its last command): print the status and content type."""

Outcome = tuple[int, str]
"""What curl saw: the status code and the content type."""

BROKEN: dict[str, Callable[[Outcome], bool]] = {
    "FUZZ-NO-5XX": lambda seen: seen[0] >= 500,
    "FUZZ-INVALID-4XX": lambda seen: 200 <= seen[0] < 300,
    "FUZZ-ERROR-CONFORMS": lambda seen: 400 <= seen[0] < 500 and "json" not in seen[1],
}
"""How each requirement's failure shows in a reproducer's answer."""


def _shell(script: str, server: EmbeddedServer, workdir: Path) -> Outcome:
    """Run a reproducer with bash, the server's key in $DEEPGRAM_API_KEY."""
    environment = {
        **os.environ,
        "DEEPGRAM_API_KEY": server.api_key,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    done = subprocess.run(
        ["bash", "-c", script + WRITE_OUT],
        capture_output=True,
        text=True,
        env=environment,
        cwd=workdir,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    status, _, content_type = done.stdout.strip().partition(" ")
    return int(status), content_type


async def _reproduce(workdir: Path) -> dict[str, tuple[Outcome, Outcome]]:
    """Run FUZZ against a faulted reference; each failing case's reproducer against it and
    against a conformant one."""
    timing = Timing()
    start = (EMBEDDED_RETRY_DELAY, 10, timing.server_start, timing.shutdown)
    async with embedded_server(*start, faults=FAULTS) as faulted, embedded_server(*start) as good:
        config = RunConfig(
            target=faulted.url,
            credentials=Credentials(faulted.api_key, AuthScheme.TOKEN, faulted.api_key_id),
            project_id=faulted.project_id,
            embedded=True,
            areas=frozenset({"FUZZ"}),
        )
        finished = await Engine(config, [Collector()]).run()
        scripts = {
            result.requirement.id: case.reproducer
            for result in finished.requirements
            for case in result.cases
            if result.verdict.value == "fail" and case.reproducer
        }
        assert set(scripts) == set(BROKEN), [
            (r.requirement.id, r.reason) for r in finished.requirements
        ]
        outcomes = {}
        for requirement_id, script in scripts.items():
            elsewhere = script.replace(faulted.url, good.url)
            assert elsewhere != script
            outcomes[requirement_id] = (
                await asyncio.to_thread(_shell, script, faulted, workdir),
                await asyncio.to_thread(_shell, elsewhere, good, workdir),
            )
        return outcomes


@pytest.mark.skipif(
    shutil.which("curl") is None or shutil.which("bash") is None,
    reason="reproducers are curl commands for bash; this machine has no curl or no bash",
)
def test_failing_fuzz_reproducers_reproduce_the_failure(tmp_path: Path) -> None:
    outcomes = loop.run(_reproduce(tmp_path), TEARDOWN)
    for requirement_id, (faulted, conformant) in outcomes.items():
        assert BROKEN[requirement_id](faulted), (requirement_id, faulted)
        assert not BROKEN[requirement_id](conformant), (requirement_id, conformant)
