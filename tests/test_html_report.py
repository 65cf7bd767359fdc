"""report.html: self-contained, renders in a real browser without console errors, shows failures."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from test_cli import _run_cli, reference

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--enable-logging=stderr",
    "--v=0",
]


@pytest.fixture(scope="module")
def failing_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A report of a run against a reference server with two faults (one MUST, one SHOULD)."""
    folder = tmp_path_factory.mktemp("html")
    with reference(
        "--fault", "wrong-sha256", "--fault", "accept-empty-body", api_key="html-key"
    ) as url:
        done = _run_cli(
            "run", "--target", url, "--api-key", "html-key", "--report-dir", str(folder)
        )
    assert done.returncode == 1, done.stderr
    return folder / "report.html"


def test_page_is_self_contained(failing_report: Path) -> None:
    page = failing_report.read_text()
    assert not re.search(r"<(script|link|img|iframe)\b", page), "no external or scripted resources"
    assert "http-equiv" not in page


def test_page_shows_the_failure_with_quote_reason_and_reproducer(failing_report: Path) -> None:
    page = failing_report.read_text()
    assert 'id="LISTEN-SHA256"' in page
    assert "SHA-256 hash of the submitted audio data." in page
    assert "metadata.sha256 is" in page
    assert "$DEEPGRAM_API_KEY" in page and "html-key" not in page
    assert "not gating: SHOULD gates only with --strict" in page


def _chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        pytest.skip("chromium is not installed (.ci/run installs Debian's chromium when it can)")
    return found


def test_page_renders_in_headless_chromium_without_console_errors(
    failing_report: Path, tmp_path: Path
) -> None:
    chromium = _chromium()
    shot = tmp_path / "shot.png"
    done = subprocess.run(
        [
            chromium,
            *CHROMIUM_FLAGS,
            f"--user-data-dir={tmp_path / 'profile'}",
            "--window-size=1200,1600",
            f"--screenshot={shot}",
            failing_report.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert shot.stat().st_size > 10_000, "the screenshot is (nearly) empty"
    console = [line for line in done.stderr.splitlines() if "CONSOLE" in line or "Uncaught" in line]
    assert console == []
    dom = subprocess.run(
        [
            chromium,
            *CHROMIUM_FLAGS,
            f"--user-data-dir={tmp_path / 'profile2'}",
            "--dump-dom",
            failing_report.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert "LISTEN-SHA256" in dom.stdout and "badge fail" in dom.stdout
