"""House rules enforced in the test run: lint, formatting, types, README and CI in step."""

from __future__ import annotations

import ast
import importlib.util
import subprocess
import sys
from pathlib import Path

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


def _imports(path: Path) -> set[str]:
    """Absolute names of every module a file imports."""
    package = ".".join(path.relative_to(REPO).with_suffix("").parts[:-1])
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package.rsplit(".", node.level - 1)[0] if node.level else ""
            module = ".".join(p for p in (base, node.module or "") if p)
            names.update({module, *(f"{module}.{alias.name}" for alias in node.names)})
    return names


def test_the_suite_never_imports_the_reference_server() -> None:
    # Only `conformance serve` may start it in-process; everything else meets it over the network.
    for path in (REPO / "conformance").rglob("*.py"):
        if "reference" in path.relative_to(REPO).parts or path.name == "cli.py":
            continue
        assert not any(n.startswith("conformance.reference") for n in _imports(path)), path


def test_the_reference_server_imports_nothing_of_the_suite() -> None:
    for path in (REPO / "conformance" / "reference").rglob("*.py"):
        suite = {
            n
            for n in _imports(path)
            if n.startswith("conformance.") and not n.startswith("conformance.reference")
        }
        assert suite == set(), path
