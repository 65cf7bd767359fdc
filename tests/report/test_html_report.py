"""report.html: self-contained, renders in a real browser without console errors, shows failures."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
from runner import cli, served

from conformance.contract import shapes
from conformance.timing import EMBEDDED_RETRY_DELAY, Timing
from conformance.wire.redact import REDACTED

CANARY_KEY = "canary-key-callbacks-5e1d"
KEY_ID = "a1b2c3d4-0000-4000-8000-000000000001"

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
    """A report of LISTEN (the area of both faults) against a reference server with two faults,
    one breaking a MUST and one a SHOULD."""
    folder = tmp_path_factory.mktemp("html")
    with served("wrong-sha256", "accept-empty-body", api_key="html-key") as url:
        done = cli(
            "run", "--target", url, "--api-key", "html-key", "--only", "LISTEN",
            "--report-dir", str(folder),
        )  # fmt: skip
    assert done.returncode == 1, done.stderr
    return folder / "report.html"


@pytest.fixture(scope="module")
def callback_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A run of the callback areas against a reference server whose retries come too fast and
    whose deliveries drop the callback URL's credentials; the key is a canary."""
    folder = tmp_path_factory.mktemp("callbacks")
    with served("callback-retry-too-fast", "callback-no-basic-auth", api_key=CANARY_KEY) as url:
        done = cli(
            "run",
            "--target",
            url,
            "--api-key",
            CANARY_KEY,
            "--api-key-id",
            KEY_ID,
            "--capabilities",
            "listen,callbacks,speak",
            "--only",
            "CALLBACK",
            "--only",
            "SPEAK",
            "--report-dir",
            str(folder),
        )
    assert done.returncode == 1, done.stderr
    assert CANARY_KEY not in done.stdout + done.stderr
    return folder


@pytest.fixture(scope="module")
def unverified_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """CALLBACK against a careful target (it refuses the receiver's private address) and no
    --callback-public-url: nothing verified, so the declared callbacks capability fails."""
    folder = tmp_path_factory.mktemp("unverified")
    with served(api_key="html-key", private=False) as url:
        done = cli(
            "run", "--target", url, "--api-key", "html-key", "--only", "CALLBACK",
            "--report-dir", str(folder),
        )  # fmt: skip
    assert done.returncode == 1, done.stderr
    assert "declared but not verified: callbacks" in done.stdout
    return folder / "report.html"


def test_the_banner_says_what_was_not_verified_and_how_to_unlock_it(
    unverified_report: Path, failing_report: Path
) -> None:
    page = unverified_report.read_text(encoding="utf-8")
    banner = page[page.index('<div id="verification"') : page.index("</header>")]
    assert 'class="verification gating"' in banner
    assert re.search(r"CALLBACK: \d+ not verified: the target cannot reach the receiver; give "
                     r"--callback-public-url", banner)  # fmt: skip
    assert "callbacks: declared but not verified" in banner
    assert "--allow-unverified callbacks" in banner
    blocked = failing_report.read_text(
        encoding="utf-8"
    )  # LISTEN-SHA256 fails, blocking what reads the hash
    assert 'class="verification partial"' in blocked
    assert re.search(r"<strong>\d+ of \d+ requirements verified, [1-9]\d* not</strong>", blocked)
    assert re.search(
        r"LISTEN: [1-9]\d* not verified: blocked: LISTEN-SHA256 fails; fix LISTEN-SHA256", blocked
    )


def _case(report: dict[str, Any], requirement: str) -> dict[str, Any]:
    """The (single) case of a requirement in report.json."""
    entry = next(r for r in report["requirements"] if r["id"] == requirement)
    assert len(entry["cases"]) == 1
    case: dict[str, Any] = entry["cases"][0]
    return case


def _section(page: str, requirement: str) -> str:
    """The HTML of one requirement's block."""
    start = page.index(f'id="{requirement}"')
    end = page.find('<div class="req', start)
    return page[start : end if end != -1 else len(page)]


def test_every_callback_attempt_is_timed_in_the_evidence(callback_report: Path) -> None:
    report = json.loads((callback_report / "report.json").read_text())
    assert shapes.problems("report", report) == []
    case = _case(report, "CALLBACK-RETRY-DELAY")
    assert case["verdict"] == "fail"
    [timeline] = case["evidence"]["callbacks"]
    early, late = Timing().spacing_bounds(EMBEDDED_RETRY_DELAY)
    assert timeline["declared_delay"] == EMBEDDED_RETRY_DELAY
    assert timeline["bounds"] == [round(early, 4), round(late, 4)]
    attempts = timeline["attempts"]
    assert [a["attempt"] for a in attempts] == list(range(1, len(attempts) + 1))
    assert len(attempts) == 11  # the first and 10 retries, every one refused
    assert [a["answer"] for a in attempts] == [500, 503, *[500] * 9]  # RETRY's too: one request
    assert all(a["method"] == "POST" for a in attempts)
    assert attempts[0]["spacing"] is None and attempts[0]["flag"] is None
    for before, after in pairwise(attempts):
        assert after["at"] == pytest.approx(
            before["at"] + before["held"] + after["spacing"], abs=0.001
        )
        if after["flag"] == "early":
            assert after["spacing"] < early
        elif after["flag"] is None:
            assert early <= after["spacing"] <= late
    assert any(a["flag"] == "early" for a in attempts)
    # the exchanges keep every attempt too, even though retries are identical requests
    delivered = [x for x in case["evidence"]["exchanges"] if "/callback/" in x["request"]["url"]]
    assert len(delivered) == len(attempts)
    passing = _case(report, "CALLBACK-DELIVERY")
    assert passing["verdict"] == "pass"
    [single] = passing["evidence"]["callbacks"]
    assert [a["attempt"] for a in single["attempts"]] == [1]


def test_callback_cases_show_an_attempts_table(callback_report: Path) -> None:
    report = json.loads((callback_report / "report.json").read_text())
    page = (callback_report / "report.html").read_text()
    section = _section(page, "CALLBACK-RETRY-DELAY")
    [timeline] = _case(report, "CALLBACK-RETRY-DELAY")["evidence"]["callbacks"]
    assert f"Callback attempts at <code>{timeline['path']}</code>" in section
    for header in ("since request (s)", "spacing from previous (s)", "declared delay (s)"):
        assert header in section
    rows = re.findall(r"<tr(?: class=\"outside\")?>\s*<td class=\"n\">(\d+)</td>", section)
    assert rows == [str(a["attempt"]) for a in timeline["attempts"]]
    flagged = [a for a in timeline["attempts"] if a["flag"] in ("early", "late")]
    assert section.count('<tr class="outside">') == len(flagged) > 0
    assert section.count("too early") == sum(a["flag"] == "early" for a in flagged)
    second = timeline["attempts"][1]
    difference = f"{second['spacing'] - EMBEDDED_RETRY_DELAY:+.3f}"
    assert f'<td class="n">{difference}</td>' in section
    for requirement in ("CALLBACK-DELIVERY", "SPEAK-CALLBACK-RETRY", "CALLBACK-BASIC-AUTH"):
        assert "Callback attempts at <code>/callback/" in _section(page, requirement)


def test_failing_callback_reproducers_state_the_expected_delivery(callback_report: Path) -> None:
    report = json.loads((callback_report / "report.json").read_text())
    early, late = Timing().spacing_bounds(EMBEDDED_RETRY_DELAY)
    timing = _case(report, "CALLBACK-RETRY-DELAY")["reproducer"]
    assert timing.startswith("conformance audio phrase > phrase.wav && curl ")
    assert '-H "Authorization: Token $DEEPGRAM_API_KEY"' in timing
    assert "# Expected delivery" in timing
    assert re.search(r"#   then POST /callback/failing-[0-9a-f]+ at the callback URL", timing)
    assert "attempt 2 was answered 503, every later one was answered 500" in timing
    assert "#   body: the whole transcription as application/json" in timing
    assert f"{early:.3g}-{late:.3g} s after it ended" in timing
    assert "at most 10 retries (11 attempts in all)" in timing
    for requirement in ("CALLBACK-BASIC-AUTH", "SPEAK-CALLBACK-BASIC-AUTH"):
        case = _case(report, requirement)
        assert case["verdict"] == "fail"
        reproducer = case["reproducer"]
        assert "callback=http%3A%2F%2Fconformance%3A$CALLBACK_PASSWORD%40" in reproducer
        assert "header Authorization: Basic base64(conformance:$CALLBACK_PASSWORD)" in reproducer
        assert f"header dg-token: {KEY_ID}" in reproducer
        assert REDACTED not in reproducer
    assert (
        "#   body: the synthesized audio"
        in _case(report, "SPEAK-CALLBACK-BASIC-AUTH")["reproducer"]
    )
    page = (callback_report / "report.html").read_text()
    for output in (json.dumps(report), page):
        assert CANARY_KEY not in output
        # the case's callback password is 24 hex digits (secrets.token_hex(12)): never shown
        assert not re.search(r"\b[0-9a-f]{24}\b", output)
    assert "# Expected delivery" in _section(page, "CALLBACK-BASIC-AUTH")


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


@pytest.mark.parametrize(
    ("report", "requirement", "shown"),
    [
        ("failing_report", "LISTEN-SHA256", "badge fail"),
        ("callback_report", "CALLBACK-RETRY-DELAY", '<tr class="outside">'),
        ("unverified_report", "give --callback-public-url", 'class="verification gating"'),
        ("failing_report", "fix LISTEN-SHA256", 'class="verification partial"'),
    ],
)
def test_page_renders_in_headless_chromium_without_console_errors(
    report: str, requirement: str, shown: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    chromium = _chromium()
    found: Path = request.getfixturevalue(report)
    failing_report = found / "report.html" if found.is_dir() else found
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
    assert requirement in dom.stdout and shown in dom.stdout
