"""The load run's reports: load.json (everything, for machines), load.html (the figures over
time) and the console lines, all from one Summary."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

from conformance.load.analysis import RestSummary, Summary
from conformance.load.html import page


def document(summary: Summary, setup: dict[str, Any]) -> dict[str, Any]:
    """load.json: how the run was made, and its summary."""
    return {"setup": setup, **asdict(summary), "passed": not summary.failures}


def _ms(figures: dict[str, float]) -> str:
    """p50/p90/p99/max in milliseconds, or why there are none."""
    if not figures:
        return "no samples"
    return " / ".join(f"{k} {v * 1000:.0f}" for k, v in figures.items()) + " ms"


def _cpu(setup: dict[str, Any]) -> str:
    """The generators' CPU, per unit of load where one kind of load ran alone."""
    if setup["cpu_ms_per_stream_second"] is not None:
        return f"{setup['cpu_ms_per_stream_second']:.2f} ms per stream-second of audio"
    if setup["cpu_ms_per_request"] is not None:
        return f"{setup['cpu_ms_per_request']:.2f} ms per pre-recorded request"
    return f"{setup['cpu_s']:.1f} s in all"


def _stream_lines(summary: Summary, setup: dict[str, Any]) -> list[str]:
    """The streams' figures and violations."""
    lines = [
        f"{summary.streams} streams ({summary.opened} opened) against {setup['target']}, "
        f"peak concurrency {summary.peak}",
        f"latency, end of each second of audio to its final Results: {_ms(summary.latency)}",
        f"CloseStream to close: {_ms(summary.close)}",
    ]
    for why, count in summary.not_opened.items():
        lines.append(f"  not opened: {count} x {why}")
    for v in summary.violations:
        gate = "gates" if v.gates else f"{v.level}: does not gate"
        lines.append(
            f"  {v.requirement} ({gate}): {v.streams} of {v.judged} streams, from concurrency "
            f"{v.broke_at} ({v.share:.0%} of the streams there and above); e.g. {v.sample}"
        )
    return lines


def _rest_lines(rest: RestSummary, setup: dict[str, Any]) -> list[str]:
    """The pre-recorded requests' figures and violations."""
    lines = [
        f"{rest.requests} pre-recorded requests ({rest.with_callback} with a callback, "
        f"{rest.answered} answered) against {setup['target']}, up to {rest.peak_rate:g} per "
        f"second (asked: {setup['listen_rate']:g})",
        f"request to answer: {_ms(rest.answer)}",
    ]
    if rest.with_callback:
        lines.append(f"request to callback delivery: {_ms(rest.callback)}")
    for why, count in rest.not_answered.items():
        lines.append(f"  not answered: {count} x {why}")
    for v in rest.violations:
        gate = "gates" if v.gates else f"{v.level}: does not gate"
        lines.append(
            f"  {v.requirement} ({gate}): {v.requests} of {v.judged} requests, from "
            f"{v.broke_at:g} requests/s ({v.share:.0%} of the requests there and above); "
            f"e.g. {v.sample}"
        )
    return lines


def console_lines(summary: Summary, setup: dict[str, Any]) -> list[str]:
    """What the terminal shows: the statement, the figures, each violation with its evidence."""
    lines = _stream_lines(summary, setup) if setup["streams"] else []
    if summary.rest is not None:
        lines += _rest_lines(summary.rest, setup)
    lines.append(f"{setup['processes']} load processes, generator CPU {_cpu(setup)}")
    if setup["lost_streams"]:
        lines.append(f"  {setup['lost_streams']} streams or requests began but left no verdict")
    lines.append(summary.statement)
    return lines


def write(summary: Summary, setup: dict[str, Any], directory: Path) -> list[Path]:
    """Write load.json and load.html into directory; the paths written."""
    directory.mkdir(parents=True, exist_ok=True)
    json_path, html_path = directory / "load.json", directory / "load.html"
    json_path.write_text(json.dumps(document(summary, setup), indent=2) + "\n", encoding="utf-8")
    html_path.write_text(page(summary, setup), encoding="utf-8")
    return [json_path, html_path]
