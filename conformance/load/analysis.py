"""The streams' verdicts summed up: each stream placed at the concurrency it met, violations by
requirement with the concurrency where each began, the highest concurrency at which the contract
held, latency over time, and the gate."""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from collections import Counter
from dataclasses import dataclass, field
from itertools import accumulate
from typing import Any

from conformance.capture.rules import requirement as requirement_of
from conformance.contract.catalogue import Catalogue, Level

TIMELINE_POINTS = 60
"""At most this many points in the plots over time."""


@dataclass
class Gate:
    """What the run is judged by: MUST (and SHOULD with strict) violations, streams that never
    opened, and the user's p99 bound."""

    strict: bool = False
    max_p99: float | None = None


@dataclass
class Violation:
    """One requirement broken under load: how often, from which concurrency, and one stream's
    evidence."""

    requirement: str
    level: str
    streams: int
    judged: int
    broke_at: int
    """The lowest concurrency at which a stream broke it."""
    share: float
    """The share of the streams at broke_at or above that broke it."""
    sample: str
    gates: bool


@dataclass
class Summary:
    """The report's content, rendered as JSON, HTML and console text."""

    streams: int
    opened: int
    not_opened: dict[str, int]
    peak: int
    held_up_to: int
    statement: str
    violations: list[Violation]
    latency: dict[str, float]
    close: dict[str, float]
    timeline: list[dict[str, float]]
    failures: list[str] = field(default_factory=list)
    """Why the gate fails, one line each (empty: it passes)."""
    per_stream: list[dict[str, Any]] = field(default_factory=list)
    """Each stream: when it opened and ended, its concurrency, what was judged and broken."""


def quantiles(values: list[float]) -> dict[str, float]:
    """p50, p90, p99 and max (nearest rank), in seconds; empty without samples."""
    if not values:
        return {}
    ordered = sorted(values)

    def rank(q: float) -> float:
        return ordered[max(0, math.ceil(q * len(ordered)) - 1)]

    return {"p50": rank(0.5), "p90": rank(0.9), "p99": rank(0.99), "max": ordered[-1]}


def peaks(verdicts: list[dict[str, Any]]) -> list[int]:
    """Per stream, the most streams open at once while it was open (its own included)."""
    events = sorted(
        [(v["opened_at"], 1) for v in verdicts] + [(v["ended_at"], -1) for v in verdicts],
        key=lambda e: (e[0], -e[1]),
    )
    times = [t for t, _ in events]
    counts = list(accumulate(d for _, d in events))
    out = []
    for v in verdicts:
        first, last = bisect_left(times, v["opened_at"]), bisect_right(times, v["ended_at"])
        out.append(max(counts[first:last], default=1))
    return out


def _violations(
    verdicts: list[dict[str, Any]], levels: list[int], catalogue: Catalogue, gate: Gate
) -> list[Violation]:
    """Each requirement some stream broke, in catalogue terms, most streams first."""
    judged = Counter(r for v in verdicts for r in v["judged"])
    found: list[Violation] = []
    for rid in sorted({r for v in verdicts for r in v["failed"]}):
        broken = [(c, v) for c, v in zip(levels, verdicts, strict=True) if rid in v["failed"]]
        lowest, sample = min(broken, key=lambda cv: cv[0])
        above = sum(1 for c in levels if c >= lowest)
        level = requirement_of(catalogue, rid).level
        gates = level is Level.MUST or (gate.strict and level is Level.SHOULD)
        text = f"a stream at concurrency {lowest}: {sample['failed'][rid]}"
        found.append(
            Violation(rid, level.value, len(broken), judged[rid], lowest, len(broken) / above,
                      text, gates)
        )  # fmt: skip
    return sorted(found, key=lambda x: (-x.streams, x.requirement))


def _statement(held: int, peak: int, violations: list[Violation], not_opened: int) -> str:
    """One sentence: up to where the contract held, and what broke first."""
    if not violations and not not_opened:
        return f"conformant up to {peak} concurrent streams (the most this run reached)"
    start = f"conformant up to {held} streams" if held else "not conformant at any concurrency"
    first = min((v.broke_at for v in violations), default=peak)
    broke = [v for v in violations if v.broke_at == first]
    said = "; ".join(
        f"{v.share:.0%} of streams broke {v.requirement} ({v.streams} of {v.judged})" for v in broke
    )
    lost = f"{not_opened} streams never opened" if not_opened else ""
    return f"{start}; from {first}, " + "; ".join(x for x in (said, lost) if x)


def _timeline(verdicts: list[dict[str, Any]]) -> list[dict[str, float]]:
    """Open streams, latency p50/p99 and streams ending in violation, per slice of the run."""
    if not verdicts:
        return []
    begin = min(v["opened_at"] for v in verdicts)
    end = max(v["ended_at"] for v in verdicts)
    step = max(1.0, math.ceil((end - begin) / TIMELINE_POINTS))
    points = []
    for index in range(math.ceil((end - begin) / step) or 1):
        a, b = begin + index * step, begin + (index + 1) * step
        open_ = sum(1 for v in verdicts if v["opened_at"] < b and v["ended_at"] >= a)
        late = quantiles([x for v in verdicts for t, x in v["latencies"] if a <= t < b])
        bad = sum(1 for v in verdicts if a <= v["ended_at"] < b and v["failed"])
        points.append(
            {"t": a - begin, "open": open_, "p50": late.get("p50", 0.0),
             "p99": late.get("p99", 0.0), "violating": bad}
        )  # fmt: skip
    return points


def summarise(verdicts: list[dict[str, Any]], catalogue: Catalogue, gate: Gate) -> Summary:
    """Everything the reports show and the gate decides on."""
    opened = [v for v in verdicts if v["not_opened"] is None]
    levels = peaks(opened)
    violations = _violations(opened, levels, catalogue, gate)
    not_opened = Counter(v["not_opened"] for v in verdicts if v["not_opened"] is not None)
    clean = [c for c, v in zip(levels, opened, strict=True) if not v["failed"]]
    first_bad = min((c for c, v in zip(levels, opened, strict=True) if v["failed"]), default=None)
    held = max((c for c in clean if first_bad is None or c < first_bad), default=0)
    peak = max(levels, default=0)
    latency = quantiles([x for v in opened for _, x in v["latencies"]])
    summary = Summary(
        streams=len(verdicts),
        opened=len(opened),
        not_opened=dict(not_opened),
        peak=peak,
        held_up_to=held,
        statement=_statement(held, peak, violations, sum(not_opened.values())),
        violations=violations,
        latency=latency,
        close=quantiles([v["close_after"] for v in opened if v["close_after"] is not None]),
        timeline=_timeline(opened),
    )
    summary.per_stream = [
        {"opened_at": v["opened_at"], "ended_at": v["ended_at"], "concurrency": c,
         "judged": v["judged"], "broken": v["failed"]}
        for c, v in zip(levels, opened, strict=True)
    ] + [{"opened_at": v["opened_at"], "not_opened": v["not_opened"]}
         for v in verdicts if v["not_opened"] is not None]  # fmt: skip
    summary.failures = [
        f"{v.requirement} ({v.level}) broken by {v.streams} streams" for v in violations if v.gates
    ]
    if not_opened:
        summary.failures.append(f"{sum(not_opened.values())} streams never opened")
    if gate.max_p99 is not None and latency and latency["p99"] > gate.max_p99:
        summary.failures.append(
            f"latency p99 {latency['p99']:.3f} s above the bound of {gate.max_p99:g} s"
        )
    return summary
