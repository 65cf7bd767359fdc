"""The suite as a user installs it: the sdist and the wheel build and pass `twine check`, the
wheel carries every module and the data the suite reads, and the GitHub action's script
(.github/conformance-action.sh, what action.yml runs) installs the wheel into a fresh virtual
environment and runs it against the embedded reference server, as a workflow would."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / ".github" / "conformance-action.sh"
BUILD_DEADLINE = 300.0
"""Seconds for the isolated build (it fetches setuptools) and for the wheel's installation."""
RUN_DEADLINE = 120.0


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sdist, and the wheel built from it, as `python -m build` makes them for a release."""
    out = tmp_path_factory.mktemp("dist")
    built = subprocess.run(
        [sys.executable, "-m", "build", "--outdir", str(out), str(REPO)],
        capture_output=True,
        text=True,
        timeout=BUILD_DEADLINE,
        stdin=subprocess.DEVNULL,
    )
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
    return out


def _wheel(dist: Path) -> Path:
    (wheel,) = dist.glob("speech_api_conformance-*-py3-none-any.whl")
    return wheel


@pytest.fixture(scope="module")
def runner(dist: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """RUNNER_TEMP after the action's install step put the wheel in a venv of its own."""
    temp = tmp_path_factory.mktemp("runner")
    done = _action("install", temp, INPUT_PACKAGE=str(_wheel(dist)), timeout=BUILD_DEADLINE)
    assert done.returncode == 0, done.stdout + done.stderr
    yield temp


def _action(
    step: str, temp: Path, timeout: float = RUN_DEADLINE, **inputs: str
) -> subprocess.CompletedProcess[str]:
    """One step of the action as GitHub runs it: in the workspace, GitHub's variables set."""
    workspace = temp / "workspace"
    workspace.mkdir(exist_ok=True)
    env = {
        **_runner_environment(),
        "RUNNER_TEMP": str(temp),
        "GITHUB_ACTION_PATH": str(REPO),
        "GITHUB_STEP_SUMMARY": str(temp / "step_summary.md"),
        "GITHUB_OUTPUT": str(temp / "output.txt"),
        **inputs,
    }
    return subprocess.run(
        ["bash", str(SCRIPT), step],
        cwd=workspace,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )


def _runner_environment() -> dict[str, str]:
    """This machine's variables as a runner's: pip's own settings (PIP_*) stay; no input,
    GitHub variable or Python path of this test run leaks in."""
    return {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("INPUT_", "GITHUB_", "RUNNER_", "PYTHON", "VIRTUAL_ENV"))
    }


def _outputs(temp: Path) -> dict[str, str]:
    """The step's outputs, as the last write of each name sets it."""
    lines = (temp / "output.txt").read_text().splitlines()
    return dict(line.split("=", 1) for line in lines)


def test_sdist_and_wheel_pass_twine_check(dist: Path) -> None:
    files = sorted(str(p) for p in dist.iterdir())
    assert len(files) == 2, files
    checked = subprocess.run(
        [sys.executable, "-m", "twine", "check", "--strict", *files],
        capture_output=True,
        text=True,
        timeout=RUN_DEADLINE,
        stdin=subprocess.DEVNULL,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_wheel_carries_every_module_and_the_data_the_suite_reads(dist: Path) -> None:
    names = set(zipfile.ZipFile(_wheel(dist)).namelist())
    package = {
        p.relative_to(REPO).as_posix()
        for p in (REPO / "conformance").rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    }
    schemas = {
        "conformance/schemas/" + p.relative_to(REPO / "schemas").as_posix()
        for p in (REPO / "schemas").rglob("*")
        if p.suffix in {".json", ".toml", ".yaml"}
    }
    assert "conformance/report/templates/report.html.j2" in package
    assert "conformance/profiles/deepgram.toml" in package
    assert "conformance/schemas/requirements/listen.toml" in schemas
    missing = sorted((package | schemas) - names)
    assert not missing, (
        "not in the wheel (a new sub-package goes into pyproject.toml's [tool.setuptools] "
        f"packages, a new kind of data file into its package-data): {missing}"
    )
    metadata = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
    entry_points = zipfile.ZipFile(_wheel(dist)).read(metadata).decode()
    assert "conformance = conformance.cli:main" in entry_points
    assert "conformance = conformance.pytest_plugin" in entry_points


def test_action_runs_the_installed_wheel_against_the_embedded_server(runner: Path) -> None:
    done = _action("run", runner, INPUT_REPORT_DIR="my reports", INPUT_ARGS="--only 'AUTH'")
    assert done.returncode == 0, done.stdout + done.stderr
    reports = runner / "workspace" / "my reports"
    for name in ("report.json", "report.html", "junit.xml", "summary.md"):
        assert (reports / name).is_file(), name
    summary = (runner / "step_summary.md").read_text()
    assert summary == (reports / "summary.md").read_text()
    assert "AUTH" in summary
    assert _outputs(runner) == {"exit-code": "0", "report-dir": "my reports"}
    where = subprocess.run(
        [
            str(runner / "conformance-venv" / "bin" / "python"),
            "-c",
            "import conformance as c; print(c.__file__)",
        ],
        cwd=runner,
        env=_runner_environment(),
        capture_output=True,
        text=True,
        timeout=RUN_DEADLINE,
    )
    assert where.stdout.startswith(str(runner / "conformance-venv")), where.stdout  # not REPO


def test_action_reports_an_unreachable_target_in_one_line(runner: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed again before the run: nothing listens there
    done = _action(
        "run",
        runner,
        INPUT_TARGET=f"http://127.0.0.1:{port}",
        INPUT_API_KEY="action-secret-key",
        INPUT_STRICT="true",
    )
    assert done.returncode == 4, done.stdout + done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    summary = (runner / "step_summary.md").read_text()
    assert "no report (exit 4: the target is unreachable)" in summary
    assert "action-secret-key" not in summary + done.stdout + done.stderr
    assert _outputs(runner)["exit-code"] == "4"


@pytest.mark.parametrize(
    ("inputs", "message"),
    [
        ({"INPUT_STRICT": "yes"}, "strict must be true or false"),
        ({"INPUT_ARGS": "--only 'AUTH"}, "args: No closing quotation"),
        ({"INPUT_ARGS": "--only NOPE"}, "unknown area"),
    ],
)
def test_action_refuses_bad_inputs_in_one_line(
    runner: Path, inputs: dict[str, str], message: str
) -> None:
    done = _action("run", runner, **inputs)
    assert done.returncode == 2, done.stdout + done.stderr
    assert message in done.stderr and len(done.stderr.strip().splitlines()) == 1, done.stderr


def test_action_yml_hands_every_input_to_the_script() -> None:
    action = yaml.safe_load((REPO / "action.yml").read_text())
    steps = action["runs"]["steps"]
    script = SCRIPT.read_text()
    handed: dict[str, str] = {}
    for step in steps:
        if "run" in step:
            command = f'bash "$GITHUB_ACTION_PATH/.github/{SCRIPT.name}" '
            assert step["run"] in {command + "install", command + "run"}
            handed.update(step.get("env", {}))
    for name, value in handed.items():
        given_as = name.removeprefix("INPUT_").lower().replace("_", "-")
        assert value == "${{ inputs." + given_as + " }}"
        assert f"${{{name}" in script or f"${name}" in script, name
    given = {"INPUT_" + name.upper().replace("-", "_") for name in action["inputs"]}
    assert given - set(handed) == {"INPUT_ARTIFACT_NAME", "INPUT_PYTHON_VERSION"}
    upload = next(s for s in steps if s.get("uses", "").startswith("actions/upload-artifact@"))
    assert upload["if"] == "always()"
    assert upload["with"]["path"] == "${{ inputs.report-dir }}"
