"""Every query parameter of the official spec for listen and speak is covered or waived."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from conformance.cli.commands import EXIT_FAILED, EXIT_PASSED, main
from conformance.contract import catalogue, coverage

CATALOGUE = catalogue.load()


def _spec(shared: Path) -> Path:
    return shared / coverage.OFFICIAL_SPEC


def _table(shared: Path) -> list[coverage.Row]:
    return coverage.table(CATALOGUE, _spec(shared), shared / coverage.OFFICIAL_ASYNCAPI)


def test_every_official_parameter_is_covered_or_waived(shared: Path) -> None:
    rows = _table(shared)
    assert {r.endpoint for r in rows} == {
        "listen",
        "speak",
        "stream",
        "speak-stream",
        "stream message",
        "speak-stream message",
    }
    assert len(rows) >= 90
    assert [f"{r.endpoint} {r.name}: {r.explain()}" for r in rows if not r.accounted] == []


def test_no_waiver_is_stale(shared: Path) -> None:
    assert coverage.stale_waivers(_table(shared)) == []


def test_every_socket_message_is_named_by_a_requirement_of_its_socket(shared: Path) -> None:
    """The AsyncAPI's messages both ways: UtteranceEnd by STREAM's, Cleared by SPEAK-STREAM's."""
    rows = {(r.endpoint, r.name): r for r in _table(shared)}
    assert rows[("stream message", "UtteranceEnd")].covered
    assert all(i.startswith("STREAM-") for i in rows[("stream message", "KeepAlive")].covered_by)
    assert rows[("speak-stream message", "Cleared")].covered_by
    assert all(
        i.startswith("SPEAK-STREAM-") for i in rows[("speak-stream message", "Speak")].covered_by
    )


def test_a_catalogued_parameter_no_requirement_names_is_not_covered() -> None:
    tag = next(p for p in CATALOGUE.parameters if p.name == "tag")
    bare = replace(
        CATALOGUE, requirements=tuple(r for r in CATALOGUE.requirements if r.area != "TAG")
    )
    assert coverage.covered_by(bare, tag, "listen") == ()
    assert coverage.covered_by(CATALOGUE, tag, "listen") != ()


def test_a_generated_parameter_is_covered_by_the_generated_requirements() -> None:
    model = next(p for p in CATALOGUE.parameters if p.name == "model")
    assert {"LISTEN-PARAM-VALID", "LISTEN-PARAM-INVALID"} <= set(
        coverage.covered_by(CATALOGUE, model, "listen")
    )


def test_coverage_command_prints_the_table(
    shared: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["coverage", "--spec", str(_spec(shared))]) == EXIT_PASSED
    out = capsys.readouterr().out
    assert "smart_format" in out and "waived" in out and "LISTEN-PARAM-VALID" in out
    assert "speak-stream" in out and "UtteranceEnd" in out


def test_coverage_command_fails_on_an_unaccounted_parameter(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = tmp_path / "openapi.yml"
    spec.write_text(
        "paths:\n"
        "  /v1/listen: {post: {parameters: [{name: brand_new, in: query}]}}\n"
        "  /v1/speak: {post: {parameters: []}}\n"
    )
    asyncapi = tmp_path / "asyncapi.yml"
    empty = {way: {"message": {"oneOf": []}} for way in ("publish", "subscribe")}
    socket = {"bindings": {"ws": {"query": {"properties": {}}}}, **empty}
    channels = {"/v1/listen": socket, "/v1/speak": socket}
    asyncapi.write_text(json.dumps({"channels": channels, "components": {"messages": {}}}))
    assert main(["coverage", "--spec", str(spec), "--asyncapi", str(asyncapi)]) == EXIT_FAILED
    assert "NOT COVERED" in capsys.readouterr().out


def test_coverage_command_without_the_spec_is_a_usage_error(tmp_path: Path) -> None:
    assert main(["coverage", "--spec", str(tmp_path / "missing.yml")]) == 2
