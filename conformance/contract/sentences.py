"""Sentence coverage of the contract documents: each normative sentence is enforced by a
requirement (or a catalogued parameter) whose quote overlaps it, or waived with a reason.

The content of each document (navigation left out) and the waivers are data
(schemas/documents.toml). A sentence is the text up to a full stop, question mark, exclamation
mark or colon at a line's end, or one list item; code blocks and headings are not sentences.
Quotes are verbatim, so overlap is measured on the document with all whitespace removed.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, replace
from pathlib import Path

from rich.table import Table

from conformance.contract.catalogue import Catalogue, read_schema_file
from conformance.contract.coverage import shared_folder
from conformance.errors import CatalogueError, UsageError

DOCUMENTS = "documents.toml"
MIN_OVERLAP = 20
"""Characters (whitespace removed) a quote must share with a sentence to enforce it, unless the
sentence is shorter."""
_END = re.compile(r"[.!?:]\)?$")
_SPLIT = re.compile(r"(?<=[.!?])\s+(?=[A-Z`\"“(\[])")
_ITEM = re.compile(r"^\s*(?:[-*•]|\d+\.)\s+")
_FENCE = "```"


@dataclass(frozen=True)
class Sentence:
    """One normative sentence of a document, where it lies, and how the suite accounts for it."""

    document: str
    text: str
    covered_by: tuple[str, ...]
    waiver: str | None

    @property
    def accounted(self) -> bool:
        """Enforced by a requirement or parameter, or waived with a reason."""
        return bool(self.covered_by) or self.waiver is not None

    def explain(self) -> str:
        """The last column of `conformance coverage --documents`."""
        if self.covered_by:
            return ", ".join(self.covered_by)
        if self.waiver is not None:
            return f"waived: {self.waiver}"
        return "NOT COVERED: no requirement quotes it and no waiver names it"


@dataclass(frozen=True)
class Entry:
    """Sentences of one document named in documents.toml: from the sentence starting with
    `first` to the one starting with `last` (the same one when `last` is empty), or every one
    matching `pattern`; a waiver gives a `reason`, an [[enforced]] entry the requirements `by`
    which they are enforced (through a schema or a neighbouring quote) and how."""

    document: str
    first: str
    last: str
    pattern: str
    reason: str
    by: tuple[str, ...] = ()


def _squeeze(text: str) -> str:
    """Text without whitespace: how quotes are compared with documents."""
    return re.sub(r"\s+", "", text)


def default_docs() -> Path:
    """contract-docs/ in the shared folder (see coverage.shared_folder)."""
    return shared_folder() / "contract-docs"


def _table() -> dict[str, object]:
    """schemas/documents.toml, parsed."""
    try:
        return tomllib.loads(read_schema_file(DOCUMENTS))
    except tomllib.TOMLDecodeError as exc:
        raise CatalogueError(f"schemas/{DOCUMENTS} is not valid TOML: {exc}") from exc


def _content(lines: list[str], spans: list[list[str]], name: str) -> list[str]:
    """The lines inside the document's content spans ([first line start, last line start]; an
    empty last: to the end)."""
    kept: list[str] = []
    for first, last in spans:
        begin = next((i for i, line in enumerate(lines) if line.strip().startswith(first)), None)
        if begin is None:
            raise CatalogueError(f"schemas/{DOCUMENTS}: {name} has no line starting {first!r}")
        end = next(
            (i for i in range(begin, len(lines)) if last and lines[i].strip().startswith(last)),
            len(lines) - 1 if not last else None,
        )
        if end is None:
            raise CatalogueError(f"schemas/{DOCUMENTS}: {name} has no line starting {last!r}")
        kept += lines[begin : end + 1]
    return kept


def split(lines: list[str], code: re.Pattern[str]) -> list[str]:
    """The sentences of content lines: code blocks, code lines and headings left out."""
    sentences: list[str] = []
    pending: list[str] = []
    fenced = False

    def flush() -> None:
        text = " ".join(pending).strip()
        pending.clear()
        if text:
            sentences.extend(part for part in _SPLIT.split(text) if part.strip())

    for raw in lines:
        line = raw.strip()
        if line.startswith(_FENCE):
            fenced = not fenced
            flush()
            continue
        if fenced or code.search(raw):
            continue
        if not line or line == "---":
            flush()
            continue
        if _ITEM.match(raw):
            flush()
            pending.append(line)
            flush()
            continue
        if line.startswith("#") or (not pending and not _END.search(line) and len(line) < 40):
            flush()  # a heading: navigation within the page, not a sentence
            continue
        pending.append(line)
        if _END.search(line):
            flush()
    flush()
    return sentences


def _entries(table: dict[str, object], kind: str, catalogue: Catalogue) -> list[Entry]:
    """The [[waiver]] or [[enforced]] entries of documents.toml, their IDs checked."""
    raw = table.get(kind, [])
    assert isinstance(raw, list)
    entries = [
        Entry(
            e["document"],
            e.get("first", ""),
            e.get("last", ""),
            e.get("pattern", ""),
            e.get("reason", e.get("how", "")),
            tuple(e.get("by", ())),
        )
        for e in raw
    ]
    known = {r.id for r in catalogue.requirements}
    for entry in entries:
        if not entry.reason or (kind == "enforced" and not entry.by):
            raise CatalogueError(f"schemas/{DOCUMENTS}: a [[{kind}]] entry needs its reason")
        unknown = [rid for rid in entry.by if rid not in known]
        if unknown:
            raise CatalogueError(f"schemas/{DOCUMENTS}: no requirement {unknown[0]}")
    return entries


_DOC_EVIDENCE = re.compile(r'^doc (\S+?)(?: [^:]*)?: "(.*)"')
"""A requirement's evidence line quoting a contract document verbatim: `doc FILE: "…"`."""


def _quotes(catalogue: Catalogue) -> list[tuple[str, str, str]]:
    """(source file, whitespace-free quote, who quotes it): requirements' quotes and the
    documents their evidence quotes (cut at each elision), and parameters' quotes."""
    found = [(r.source, _squeeze(r.quote), r.id) for r in catalogue.requirements]
    for r in catalogue.requirements:
        for entry in r.evidence:
            match = _DOC_EVIDENCE.match(entry)
            if match:
                found += [(match[1], _squeeze(p), r.id) for p in match[2].split("…") if p.strip()]
    found += [(p.source, _squeeze(p.quote), f"parameter {p.name}") for p in catalogue.parameters]
    return found


def _key(sentence: str) -> str:
    """A sentence as the same promise reads in every document: markup, quotes' shapes and
    whitespace left out, so a sentence repeated by another page is recognised."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", sentence)
    text = re.sub(r"^\s*(?:[-*•>]|⚠)+\s*(?:⚠\s*)?", "", text)
    text = text.replace("\u2019", "'").replace("`", "").replace("*", "").lower()
    return _squeeze(text)


def sentences(catalogue: Catalogue, folder: Path) -> list[Sentence]:
    """Every normative sentence of every contract document, with its coverage."""
    table = _table()
    documents = table.get("document", [])
    assert isinstance(documents, list)
    waivers = _entries(table, "waiver", catalogue)
    enforced = _entries(table, "enforced", catalogue)
    quotes = _quotes(catalogue)
    found: list[Sentence] = []
    for document in documents:
        path = folder / document["file"]
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"contract document {path} cannot be read: {exc.strerror}") from None
        whole = _squeeze(text)
        code = re.compile(document.get("code", r"$^"))
        parts = split(_content(text.splitlines(), document["content"], path.name), code)
        spans = [
            (path.name, q.start(), q.start() + len(quote), who)
            for source, quote, who in quotes
            if source == path.name and quote
            for q in re.finditer(re.escape(quote), whole)
        ]
        cursor = 0
        placed: list[tuple[str, int]] = []
        for part in parts:
            at = whole.find(_squeeze(part), cursor)
            if at < 0:
                raise CatalogueError(f"{path.name}: sentence not found in order: {part[:60]!r}")
            placed.append((part, at))
            cursor = at + len(_squeeze(part))
        waived = _ranges(document["id"], placed, waivers)
        through = _ranges(document["id"], placed, enforced)
        for part, at in placed:
            end = at + len(_squeeze(part))
            need = min(MIN_OVERLAP, end - at)
            covered = tuple(
                dict.fromkeys(
                    [who for _, a, b, who in spans if min(b, end) - max(a, at) >= need]
                    + list(through[at].by if at in through else ())
                )
            )
            reason = waived[at].reason if at in waived else None
            found.append(Sentence(document["id"], part, covered, reason))
    return _repeated(found)


def _repeated(found: list[Sentence]) -> list[Sentence]:
    """A sentence that another document repeats is enforced by what enforces it there."""
    enforced: dict[str, tuple[str, ...]] = {}
    for sentence in found:
        if sentence.covered_by:
            key = _key(sentence.text)
            enforced[key] = tuple(dict.fromkeys((*enforced.get(key, ()), *sentence.covered_by)))
    return [
        s if s.covered_by else replace(s, covered_by=enforced.get(_key(s.text), ())) for s in found
    ]


def _ranges(document: str, placed: list[tuple[str, int]], entries: list[Entry]) -> dict[int, Entry]:
    """Sentence offset -> the entry of this document whose range or pattern holds it (the
    first one listed)."""
    starts = [(_squeeze(part), at) for part, at in placed]

    def locate(prefix: str, after: int) -> int:
        key = _squeeze(prefix)
        for index, (text, at) in enumerate(starts):
            if at >= after and text.startswith(key):
                return index
        raise CatalogueError(
            f"schemas/{DOCUMENTS}: no sentence of {document} starts with {prefix!r}"
        )

    out: dict[int, Entry] = {}
    for entry in (e for e in entries if e.document == document):
        if entry.pattern:
            held = [at for (part, at) in placed if re.search(entry.pattern, part)]
        else:
            first = locate(entry.first, 0)
            last = locate(entry.last, starts[first][1]) if entry.last else first
            held = [at for _, at in starts[first : last + 1]]
        for at in held:
            out.setdefault(at, entry)
    return out


def stale(found: list[Sentence], catalogue: Catalogue) -> list[str]:
    """Waivers that hold no sentence left unenforced: no longer needed."""
    lines = []
    for waiver in _entries(_table(), "waiver", catalogue):
        held = [s for s in found if s.document == waiver.document and s.waiver == waiver.reason]
        if not any(not s.covered_by for s in held):
            lines.append(f"{waiver.document} {(waiver.first or waiver.pattern)[:50]!r}")
    return lines


def render(found: list[Sentence]) -> Table:
    """The table `conformance coverage --documents` prints."""
    out = Table(title="Contract document sentences: enforced by requirements, or waived")
    for column in ("doc", "sentence", "enforced by / waived because"):
        out.add_column(column, overflow="fold")
    for sentence in found:
        out.add_row(sentence.document, sentence.text, sentence.explain())
    covered = sum(bool(s.covered_by) for s in found)
    waived = sum(not s.covered_by and s.waiver is not None for s in found)
    out.caption = f"{covered} enforced, {waived} waived, {len(found) - covered - waived} neither"
    return out


@dataclass(frozen=True)
class InContext:
    """Where a requirement's quote stands in its document: the document's title, and the
    sentences just before and after the ones it quotes."""

    title: str
    before: str
    after: str


def contexts(catalogue: Catalogue, folder: Path) -> dict[str, InContext]:
    """Requirement ID -> its quote in context, for every requirement quoting a contract
    document; empty when the documents cannot be read (a report never fails for them)."""
    try:
        found = sentences(catalogue, folder)
    except (UsageError, CatalogueError):
        return {}
    documents = _table().get("document", [])
    assert isinstance(documents, list)
    names = {d["file"]: d["title"] for d in documents}
    ids = {d["id"]: d["file"] for d in documents}
    out: dict[str, InContext] = {}
    for requirement in catalogue.requirements:
        mine = [
            n
            for n, s in enumerate(found)
            if ids.get(s.document) == requirement.source and requirement.id in s.covered_by
        ]
        if not mine:
            continue
        first, last = mine[0], mine[-1]
        same = found[first].document
        before = found[first - 1].text if first and found[first - 1].document == same else ""
        after = (
            found[last + 1].text
            if last + 1 < len(found) and found[last + 1].document == same
            else ""
        )
        out[requirement.id] = InContext(names[requirement.source], before, after)
    return out
