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
from runner import served

from conformance.reference.model.settings import DEFAULT_API_KEY_ID, DEFAULT_PROJECT_ID
from conformance.run import loop
from conformance.run.config import AuthScheme, Credentials, RunConfig
from conformance.run.engine import Engine
from conformance.timing import TEARDOWN

FAULTS = ("non-http-url-500", "grant-ignores-body", "errors-as-text")
KEY = "fuzz-key"
EXAMPLES = 5
"""Generated examples per property case, as the fault matrix runs FUZZ (which proves these
faults fail it there): the failing inputs are explicit examples, not a lucky draw."""
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


def _shell(script: str, key: str, workdir: Path) -> Outcome:
    """Run a reproducer with bash, the server's key in $DEEPGRAM_API_KEY."""
    environment = {
        **os.environ,
        "DEEPGRAM_API_KEY": key,
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


async def _reproduce(faulted: str, good: str, workdir: Path) -> dict[str, tuple[Outcome, Outcome]]:
    """Run FUZZ against a faulted reference; each failing case's reproducer against it and
    against a conformant one."""
    config = RunConfig(
        target=faulted,
        credentials=Credentials(KEY, AuthScheme.TOKEN, DEFAULT_API_KEY_ID),
        project_id=DEFAULT_PROJECT_ID,
        embedded=True,
        areas=frozenset({"FUZZ"}),
        examples=EXAMPLES,
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
        elsewhere = script.replace(faulted, good)
        assert elsewhere != script
        outcomes[requirement_id] = (
            await asyncio.to_thread(_shell, script, KEY, workdir),
            await asyncio.to_thread(_shell, elsewhere, KEY, workdir),
        )
    return outcomes


@pytest.mark.skipif(
    shutil.which("curl") is None or shutil.which("bash") is None,
    reason="reproducers are curl commands for bash; this machine has no curl or no bash",
)
def test_failing_fuzz_reproducers_reproduce_the_failure(tmp_path: Path) -> None:
    with served(*FAULTS, api_key=KEY) as faulted, served(api_key=KEY) as good:
        outcomes = loop.run(_reproduce(faulted, good, tmp_path), TEARDOWN)
    for requirement_id, (faulted, conformant) in outcomes.items():
        assert BROKEN[requirement_id](faulted), (requirement_id, faulted)
        assert not BROKEN[requirement_id](conformant), (requirement_id, conformant)
