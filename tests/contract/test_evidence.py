"""Every requirement carries its evidence (schemas/requirements/README.md), local sources named
there exist and say what is quoted, and every MUST holds against every genuine recording."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from markupsafe import escape
from recordings import OUT_OF_SCOPE

from conformance.capture import judge, read, rules
from conformance.capture.check import check
from conformance.capture.model import Capture
from conformance.contract import catalogue, shapes
from conformance.contract.catalogue import Level
from conformance.contract.docs import catalogue_markdown
from conformance.report import HtmlReportWriter, JsonReportWriter
from conformance.run.verdicts import Outcome

CATALOGUE = catalogue.load()
ENTRY = re.compile(r"^(doc|spec|recording|page|sdk|issue|none) ((?:[^:\n]|:[^ \n])+): (\S.*)$")
"""`KIND WHERE: WHAT`; WHERE may hold `://` but never `: `."""
LOCAL = {"doc": "contract-docs", "spec": "real-world/specs", "recording": "real-world"}
"""Kinds whose WHERE starts with a file under ../shared, and the folder it is in."""


def _parts(entry: str) -> tuple[str, str, str]:
    """An entry's kind, where and what; a malformed entry fails the test naming it."""
    match = ENTRY.match(entry)
    assert match, f"evidence entry not of the form `KIND WHERE: WHAT`: {entry!r}"
    return match.group(1), match.group(2), match.group(3)


def _quoted(what: str) -> list[str]:
    """The verbatim pieces of a doc or spec entry: its text between the first and last double
    quote, cut at each `…` (an elision)."""
    if not what.startswith('"') or what.count('"') < 2:
        return []
    inner = what[1 : what.rindex('"')]
    return [piece for piece in (re.sub(r"\s+", "", p) for p in inner.split("…")) if piece]


def _squeezed(text: str) -> str:
    return re.sub(r"\s+", "", text)


def test_every_requirement_has_evidence_led_by_its_own_document() -> None:
    for r in CATALOGUE.requirements:
        assert r.evidence, r.id
        kind, where, what = _parts(r.evidence[0])
        expected = "spec" if r.source.endswith((".yml", ".yaml")) else "doc"
        assert (kind, where.split(" ")[0]) == (expected, r.source), (r.id, r.evidence[0])
        pieces = _quoted(what)
        assert pieces and all(p in _squeezed(r.quote) for p in pieces), (r.id, r.evidence[0])
        for entry in r.evidence:
            _parts(entry)
        assert len(set(r.evidence)) == len(r.evidence), r.id


DISPUTED = (
    "STREAM-INTERIM-ON TAG-REQUEST-LOG TAG-KEY-TAGS FUZZ-RESPONSE-CONFORMS STREAM-FINALIZE "
    "STREAM-FINALIZE-FLUSH LISTEN-SEARCH-LIMIT LISTEN-SEARCH-LIMIT-ENFORCED LISTEN-KEYWORDS-LIMIT "
    "LISTEN-KEYWORDS-LIMIT-ENFORCED STREAM-SHUTDOWN-EMPTY-FRAME LISTEN-ERROR-BODY "
    "FUZZ-ERROR-CONFORMS LISTEN-PARAM-INVALID STREAM-CALLBACK-METHOD EXTRA-ENCODING "
    "EXTRA-ENCODING-UNICODE STREAM-METADATA STREAM-EMPTY TAG-LIMIT-ENFORCED EXTRA-LIMIT-ENFORCED "
    "EXTRA-NO-COLON KEYS-AUTHENTICATES KEYS-DELETE STREAM-IDLE-TIMEOUT STREAM-KEEPALIVE"
).split()
"""Requirements whose documents and live evidence disagree (issue 14): each quotes both sides."""


@pytest.mark.parametrize("requirement_id", DISPUTED)
def test_a_disputed_requirement_quotes_more_than_its_own_document(requirement_id: str) -> None:
    entries = CATALOGUE.requirement(requirement_id).evidence
    kinds = {_parts(entry)[0] for entry in entries[1:]}
    assert len(entries) >= 3 and kinds - {"doc"}, (requirement_id, entries)


def test_every_local_source_named_exists_and_holds_what_is_quoted(shared: Path) -> None:
    named: set[Path] = set()
    for r in CATALOGUE.requirements:
        for entry in r.evidence:
            kind, where, what = _parts(entry)
            if kind not in LOCAL:
                continue
            path = shared / LOCAL[kind] / where.split(" ")[0]
            assert path.is_file(), f"{r.id}: {entry!r} names {path}, which is not there"
            named.add(path)
            if kind in {"doc", "spec"}:
                text = _squeezed(path.read_text(encoding="utf-8"))
                for piece in _quoted(what):
                    assert piece in text, f"{r.id}: not verbatim in {path.name}: {piece!r}"
    assert any(p.parent.name == "contract-docs" for p in named)
    assert any("real-world" in p.parts and "specs" not in p.parts for p in named)


# ------------------------------------------------------------------ shown to people


def test_docs_requirements_md_lists_every_evidence_line() -> None:
    markdown = catalogue_markdown(CATALOGUE)
    for r in CATALOGUE.requirements:
        block = markdown[markdown.index(f"- `{r.id}`\n") :]
        for entry in r.evidence:
            shown = entry.replace("*", "\\*").replace("<", "&lt;") if "`" not in entry else entry
            assert f"  - {shown}\n" in block.split("\n- `", 1)[0] + "\n", (r.id, entry)


def test_report_json_and_html_show_each_judged_requirements_evidence(
    shared: Path, tmp_path: Path
) -> None:
    recording = shared / "real-world" / "ManeeshJupalle-Auricle" / "frame_017.json"
    json_path, page_path = tmp_path / "report.json", tmp_path / "report.html"
    writers = [JsonReportWriter(json_path), HtmlReportWriter(page_path)]
    assert check([recording], None, writers, lambda line: None) is Outcome.PASSED
    report = json.loads(json_path.read_text(encoding="utf-8"))
    assert shapes.problems("report", report) == []
    page = page_path.read_text(encoding="utf-8")
    entry = next(e for e in report["requirements"] if e["id"] == "STREAM-METADATA")
    assert entry["evidence"] == list(CATALOGUE.requirement("STREAM-METADATA").evidence)
    assert "Evidence (" in page
    for line in entry["evidence"]:
        assert f"<li>{escape(line)}</li>" in page, line


# ------------------------------------------------------------------ every MUST, every recording


def _musts() -> set[str]:
    """Requirements that are MUST under the default levels or under any dialect's."""
    return {
        r.id
        for r in CATALOGUE.requirements
        if r.level is Level.MUST or Level.MUST in dict(r.dialect_levels).values()
    } | {rule.id for rule in rules.CAPTURE_RULES.values() if rule.level is Level.MUST}


def _recordings(shared: Path) -> list[Path]:
    """Every genuine recording and quote in scope (test_contract_documents.OUT_OF_SCOPE says
    which are not, and why); the specs and SOURCES.md are no recordings."""
    real = shared / "real-world"
    return [
        path
        for path in sorted(real.rglob("*"))
        if path.suffix in {".json", ".ndjson", ".log"}
        and not path.relative_to(real).as_posix().startswith((*OUT_OF_SCOPE, "specs/"))
    ]


def _capture(path: Path, tmp_path: Path) -> Capture:
    """The capture `conformance validate` reads from a file; a printed session log keeps its
    server frames (its JSON lines) and drops what the client library printed (the close)."""
    if path.suffix != ".log":
        return read.read(path)
    frames = [line for line in path.read_text(encoding="utf-8").splitlines() if line[:1] == "{"]
    assert frames, path
    copy = tmp_path / f"{path.stem}.ndjson"
    copy.write_text("\n".join(frames) + "\n", encoding="utf-8")
    return read.read(copy)


def test_every_must_holds_against_every_genuine_recording(
    shared: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    musts = _musts()
    real = shared / "real-world"
    judged: dict[str, list[str]] = {}
    failed: list[str] = []
    for path in _recordings(shared):
        findings, _ = judge.capture(_capture(path, tmp_path), None)
        name = path.relative_to(real).as_posix()
        judged[name] = sorted({f.requirement for f in findings if f.requirement in musts})
        failed += [
            f"{name}: {f.requirement}: {f.text}"
            for f in findings
            if f.requirement in musts and not f.passed
        ]
    frames = sorted((real / "ManeeshJupalle-Auricle").glob("frame_*.json"))
    if frames:
        # One live session's frames (SOURCES.md: 003..014 were not copied), judged as a stream.
        session = tmp_path / "auricle-session.ndjson"
        session.write_text("".join(f.read_text().strip() + "\n" for f in frames))
        findings, _ = judge.capture(read.read(session), None)
        name = "ManeeshJupalle-Auricle/frame_*.json as one stream"
        judged[name] = sorted({f.requirement for f in findings if f.requirement in musts})
        failed += [f"{name}: {f.requirement}: {f.text}" for f in findings if not f.passed]
    with capsys.disabled():
        for name, ids in judged.items():
            print(f"\n{name}: {', '.join(ids) or 'no MUST judged'}", end="")
        print()
    assert len(judged) >= 30, judged
    assert sum(map(len, judged.values())) >= len(judged) - 6, judged
    assert {"LISTEN-SCHEMA", "STREAM-RESULTS-SCHEMA", "STREAM-METADATA"} <= set().union(
        *judged.values()
    )
    assert failed == [], failed
