"""House rules enforced in the test run: lint, formatting, types, README and CI in step."""

from __future__ import annotations

import importlib.util
import subprocess
import sys

import pytest
from conftest import REPO

SOURCES = ["conformance", "tests", "bench"]


def _tool(name: str) -> list[str]:
    """The command running a Python tool with this interpreter; skipped when it is missing."""
    if importlib.util.find_spec(name) is None:
        pytest.skip(f"{name} is not installed (pip install -e '.[test]' brings it)")
    return [sys.executable, "-m", name]


def test_ruff_lint_is_clean() -> None:
    done = subprocess.run(
        [*_tool("ruff"), "check", *SOURCES], cwd=REPO, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout


def test_ruff_format_is_clean() -> None:
    done = subprocess.run(
        [*_tool("ruff"), "format", "--check", *SOURCES], cwd=REPO, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout


def test_mypy_strict_is_clean() -> None:
    done = subprocess.run(_tool("mypy"), cwd=REPO, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout


def test_readme_test_command_is_the_one_ci_runs() -> None:
    ci_command = (REPO / ".ci" / "run").read_text().strip().splitlines()[-1]
    assert f"\n{ci_command}\n" in (REPO / "README.md").read_text()
