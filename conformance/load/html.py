"""load.html: one self-contained page (no scripts, no network) with inline SVG charts of open
streams, latency percentiles and violating streams over the run, the same for the pre-recorded
requests (rate, answer and callback percentiles, violating requests), and the violations'
tables."""

from __future__ import annotations

from html import escape
from typing import Any

from conformance.load.analysis import RestSummary, Summary

WIDTH, HEIGHT, PAD = 640, 160, 40


def _chart(title: str, points: list[dict[str, float]], series: dict[str, str], unit: str) -> str:
    """A line chart of some timeline series (name -> colour) against seconds into the run."""
    if not points:
        return f"<p>{escape(title)}: no data</p>"
    top = max((p[name] for p in points for name in series), default=0.0) or 1.0
    span = max(p["t"] for p in points) or 1.0

    def xy(p: dict[str, float], name: str) -> str:
        x = PAD + (WIDTH - 2 * PAD) * p["t"] / span
        y = HEIGHT - PAD / 2 - (HEIGHT - PAD) * p[name] / top
        return f"{x:.1f},{y:.1f}"

    lines = "".join(
        f'<polyline fill="none" stroke="{colour}" stroke-width="2" '
        f'points="{" ".join(xy(p, name) for p in points)}"><title>{name}</title></polyline>'
        for name, colour in series.items()
    )
    legend = ", ".join(f'<span style="color:{c}">{escape(n)}</span>' for n, c in series.items())
    axis = (
        f'<text x="2" y="{PAD / 2 + 4}" font-size="11">{top:g} {unit}</text>'
        f'<text x="{WIDTH - PAD}" y="{HEIGHT - 2}" font-size="11">{span:g} s</text>'
        f'<line x1="{PAD}" y1="{HEIGHT - PAD / 2}" x2="{WIDTH - PAD}" y2="{HEIGHT - PAD / 2}" '
        'stroke="#999"/>'
    )
    return (
        f"<h3>{escape(title)} ({legend})</h3>"
        f'<svg width="{WIDTH}" height="{HEIGHT}" role="img">{axis}{lines}</svg>'
    )


def _show(value: Any) -> str:
    """A setting or figure for a reader: numbers to 3 digits, tables flattened."""
    if isinstance(value, float):
        return f"{value:.3g}"
    if isinstance(value, dict):
        return "; ".join(f"{k} {_show(v)}" for k, v in value.items()) or "none"
    if isinstance(value, list | tuple):
        return ", ".join(map(_show, value)) or "none"
    return str(value)


def _rest(rest: RestSummary) -> str:
    """The pre-recorded requests' charts and violations."""
    ms = [
        {**p, "p50": p["p50"] * 1000, "p99": p["p99"] * 1000,
         "callback_p99": p["callback_p99"] * 1000}
        for p in rest.timeline
    ]  # fmt: skip
    rows = "".join(
        f"<tr><td>{escape(v.requirement)}</td><td>{v.level}</td><td>{v.requests} of {v.judged}"
        f"</td><td>{v.broke_at:g}</td><td>{v.share:.0%}</td><td>{'yes' if v.gates else 'no'}"
        f"</td><td>{escape(v.sample)}</td></tr>"
        for v in rest.violations
    )
    table = (
        "<table><tr><th>requirement</th><th>level</th><th>requests</th><th>from requests/s</th>"
        f"<th>share there and above</th><th>gates</th><th>evidence</th></tr>{rows}</table>"
        if rows
        else "<p>No violations.</p>"
    )
    figures = {"requests": rest.requests, "with a callback": rest.with_callback,
               "answered": rest.answered, "request to answer (s)": rest.answer,
               "request to callback delivery (s)": rest.callback}  # fmt: skip
    items = "".join(f"<li>{escape(k)}: {escape(_show(v))}</li>" for k, v in figures.items())
    return (
        f"<h2>Pre-recorded requests</h2><p><strong>{escape(rest.statement)}</strong></p>"
        f"<ul>{items}</ul>"
        + _chart("Requests sent per second", rest.timeline, {"rate": "#1f77b4"}, "req/s")
        + _chart(
            "Request to answer, and to callback delivery",
            ms,
            {"p50": "#2ca02c", "p99": "#d62728", "callback_p99": "#9467bd"},
            "ms",
        )
        + _chart("Requests in violation", rest.timeline, {"violating": "#d62728"}, "")
        + f"<h3>Violations by requirement (pre-recorded)</h3>{table}"
    )


def page(summary: Summary, setup: dict[str, Any]) -> str:
    """The whole page."""
    latency = [{**p, "p50": p["p50"] * 1000, "p99": p["p99"] * 1000} for p in summary.timeline]
    rows = "".join(
        f"<tr><td>{escape(v.requirement)}</td><td>{v.level}</td><td>{v.streams} of {v.judged}"
        f"</td><td>{v.broke_at}</td><td>{v.share:.0%}</td><td>{'yes' if v.gates else 'no'}</td>"
        f"<td>{escape(v.sample)}</td></tr>"
        for v in summary.violations
    )
    table = (
        "<table><tr><th>requirement</th><th>level</th><th>streams</th><th>from concurrency</th>"
        f"<th>share there and above</th><th>gates</th><th>evidence</th></tr>{rows}</table>"
        if rows
        else "<p>No violations.</p>"
    )
    figures = "".join(
        f"<li>{escape(k)}: {escape(_show(v))}</li>"
        for k, v in {**setup, "latency (s)": summary.latency, "close (s)": summary.close}.items()
    )
    verdict = "passed" if not summary.failures else "failed: " + "; ".join(summary.failures)
    streams = (
        _chart("Streams open", summary.timeline, {"open": "#1f77b4"}, "streams")
        + _chart(
            "Latency to the final Results", latency, {"p50": "#2ca02c", "p99": "#d62728"}, "ms"
        )
        + _chart("Streams ending in violation", summary.timeline, {"violating": "#d62728"}, "")
        + f"<h2>Violations by requirement</h2>{table}"
    )
    return (
        '<!doctype html><html><head><meta charset="utf-8"><title>conformance load</title>'
        "<style>body{font-family:sans-serif;max-width:960px;margin:2em auto}"
        "td,th{border:1px solid #ccc;padding:4px;vertical-align:top}"
        "table{border-collapse:collapse}</style></head><body>"
        f"<h1>Conformance under load</h1><p><strong>{escape(summary.statement)}</strong></p>"
        f"<p>Gate: {escape(verdict)}</p><ul>{figures}</ul>"
        + (streams if setup["streams"] else "")
        + (_rest(summary.rest) if summary.rest is not None else "")
        + "</body></html>\n"
    )
