"""Every requested report is written whatever happens: a stream timeline longer than the kept
entries renders, one output that raises stops none of the others, and no file of an earlier run
is left beside a new report.json."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hostile_runs import run_hostile, upstream_reference
from hostile_stream import hostile_stream

from conformance.cli.commands import main
from conformance.contract import catalogue
from conformance.report import (
    HtmlReportWriter,
    Isolated,
    JsonReportWriter,
    JUnitWriter,
    MarkdownWriter,
    failures,
)
from conformance.report.files import write_atomically
from conformance.report.view import RunView
from conformance.run.config import AuthScheme, Credentials, RunConfig
from conformance.run.events import RunFinished, RunStarted
from conformance.run.verdicts import Outcome
from conformance.wire.redact import REDACTED
from conformance.wire.stream import MAX_FRAMES

STALE = "<html>an earlier run's page</html>"
CHATTY_FAILS = {
    "STREAM-CHANNELS",  # its Results say channel_index [0, 1] in a 2-channel stream
    "STREAM-EXTRA",  # its Results carry no metadata.extra
    "STREAM-INTERIM-OFF",  # they are interim Results, sent with interim_results=false too
    "STREAM-REQUEST-ID",  # with a request_id of their own beside the reference's
    "STREAM-START-ORDER",  # and starts of their own, interleaved with the reference's
}
"""What the chatty target breaks: its own Results, one per audio frame, are wrong only in these
ways, so the rest of STREAM passes however long the timelines grow."""


def test_a_chatty_stream_target_gets_every_report(tmp_path: Path) -> None:
    (tmp_path / "report.html").write_text(STALE)
    junit, summary = tmp_path / "junit.xml", tmp_path / "summary.md"
    with (
        upstream_reference() as url,
        hostile_stream("chatty", "ws" + url.removeprefix("http")) as ws,
    ):
        judged = run_hostile(
            tmp_path, "--target", url, "--ws-target", ws, "--only", "STREAM",
            "--time-scale", "0.3", "--junit", str(junit), "--markdown", str(summary),
        )  # fmt: skip
    assert judged.done.stderr == ""
    assert judged.broken() == CHATTY_FAILS, {i: judged.reason(i) for i in judged.broken()}
    notes = [
        frame
        for entry in judged.requirements.values()
        for case in entry["cases"]
        for exchange in case["evidence"]["exchanges"]
        for frame in exchange.get("frames", [])
        if frame["kind"] == "note"
    ]
    assert notes, "no stream outgrew the timeline"
    assert all("more frames not kept" in n["text"] and n["at"] <= n["until"] for n in notes)
    page = (tmp_path / "report.html").read_text()
    assert page != STALE and "Conformance report" in page
    assert page.count("more frames not kept") == len(notes)
    assert f"(the timeline keeps {MAX_FRAMES})" in page
    suite = ET.parse(junit).getroot().find("testsuite")
    assert suite is not None
    failed = {c.get("name") for c in suite.iter("testcase") if c.find("failure") is not None}
    assert failed == {i for i in CHATTY_FAILS if judged.requirements[i]["gated"]}
    warned = {
        c.get("name")
        for c in suite.iter("testcase")
        if (skip := c.find("skipped")) is not None and skip.get("type") == "not-gating"
    }
    assert warned == {i for i in CHATTY_FAILS if not judged.requirements[i]["gated"]}
    assert all(f"`{i}`" in summary.read_text() for i in CHATTY_FAILS)
    [upgrade] = judged.requirements["STREAM-AUTH-SUBPROTOCOL"]["cases"][0]["evidence"]["exchanges"]
    assert upgrade["request"]["headers"]["Sec-WebSocket-Protocol"] == f"token, {REDACTED}"
    assert upgrade["response"]["headers"]["sec-websocket-protocol"] == "token"


def test_a_report_that_cannot_be_written_is_named_and_the_others_are_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def broken(self: HtmlReportWriter, view: RunView) -> str:
        raise RuntimeError("the page broke\nover two lines")

    monkeypatch.setattr(HtmlReportWriter, "render", broken)
    (tmp_path / "report.html").write_text(STALE)
    junit, summary, events = tmp_path / "junit.xml", tmp_path / "summary.md", tmp_path / "ev.json"
    code = main(
        ["run", "--only", "AUTH", "--report-dir", str(tmp_path), "--junit", str(junit),
         "--markdown", str(summary), "--events", str(events)]
    )  # fmt: skip
    out, err = capsys.readouterr()
    assert code == 3
    assert err.splitlines() == [
        f"conformance: {tmp_path / 'report.html'} not written: "
        "RuntimeError: the page broke over two lines"
    ]
    assert not (tmp_path / "report.html").exists()
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["outcome"] == "passed" and "AUTH" in {r["area"] for r in report["requirements"]}
    assert ET.parse(junit).getroot().find("testsuite") is not None
    assert "## Conformance: passed" in summary.read_text()
    assert json.loads(events.read_text().splitlines()[-1])["event"] == "run_finished"
    assert "PASSED" in out and "report:" in out  # the path follows, wrapped at the console width
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["report.json", "junit.xml", "summary.md", "ev.json"]
    )


def _events() -> tuple[RunStarted, RunFinished]:
    """A run with no cases, from start to finish."""
    now = datetime.now(UTC)
    config = RunConfig(target="http://127.0.0.1:1", credentials=Credentials("k", AuthScheme.TOKEN))
    start = RunStarted(config, catalogue.load(), config.target, now, 0)
    return start, RunFinished([], Outcome.PASSED, now, now)


class Exploding(JsonReportWriter):
    """A writer whose rendering raises, like a template meeting data it cannot handle."""

    def render(self, view: RunView) -> str:
        raise KeyError("at")


def test_a_raising_writer_stops_no_other_and_leaves_no_stale_file(tmp_path: Path) -> None:
    stale = tmp_path / "broken.json"
    stale.write_text("{}")
    outputs = [
        Isolated("first", JsonReportWriter(tmp_path / "first.json"), [tmp_path / "first.json"]),
        Isolated(str(stale), Exploding(stale), [stale]),
        Isolated("junit", JUnitWriter(tmp_path / "junit.xml"), [tmp_path / "junit.xml"]),
        Isolated("markdown", MarkdownWriter(tmp_path / "s.md"), [tmp_path / "s.md"]),
    ]
    for event in _events():
        for output in outputs:
            output.handle(event)
    assert failures(outputs) == [f"{stale} not written: KeyError: 'at'"]
    assert not stale.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["first.json", "junit.xml", "s.md"]
    assert json.loads((tmp_path / "first.json").read_text())["outcome"] == "passed"


def test_an_atomic_write_leaves_the_old_file_whole_when_it_fails(tmp_path: Path) -> None:
    target = tmp_path / "report.json"
    write_atomically(target, b"old")
    with pytest.raises(TypeError):
        write_atomically(target, "not bytes")  # type: ignore[arg-type]
    assert target.read_bytes() == b"old"
    write_atomically(target, b"new")
    assert target.read_bytes() == b"new"
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]
