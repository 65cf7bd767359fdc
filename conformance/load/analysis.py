"""The verdicts summed up: each stream placed at the concurrency it met and each pre-recorded
request at the rate it was sent at, violations by requirement with the concurrency (or rate)
where each began, the highest concurrency (or rate) at which the contract held, latency over
time, and the gate."""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from itertools import accumulate
from typing import Any

from conformance.capture.rules import requirement as requirement_of
from conformance.contract.catalogue import Catalogue, Level

TIMELINE_POINTS = 60
"""At most this many points in the plots over time."""
RATE_WINDOW = 2.0
"""Seconds around a request over which its rate is counted (requests sent, per second)."""


@dataclass
class Gate:
    """What the run is judged by: MUST (and SHOULD with strict) violations, streams that never
    opened, requests never answered, and the user's p99 bounds."""

    strict: bool = False
    max_p99: float | None = None
    """Bound of the streams' latency p99 (end of a second of audio to its final Results)."""
    max_answer_p99: float | None = None
    """Bound of the pre-recorded requests' p99, request to answer."""


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
    rest: RestSummary | None = None
    """The pre-recorded requests, when the run sent any."""


@dataclass
class RestViolation:
    """One requirement broken by pre-recorded requests: how often, from which rate, and one
    request's evidence."""

    requirement: str
    level: str
    requests: int
    judged: int
    broke_at: float
    """The lowest rate (requests per second) at which a request broke it."""
    share: float
    """The share of the requests at broke_at or above that broke it."""
    sample: str
    gates: bool


@dataclass
class RestSummary:
    """The pre-recorded requests' part of the report."""

    requests: int
    answered: int
    with_callback: int
    not_answered: dict[str, int]
    peak_rate: float
    held_up_to: float
    """The highest rate below the first at which a request broke a requirement."""
    statement: str
    violations: list[RestViolation]
    answer: dict[str, float]
    """Seconds from request to answer."""
    callback: dict[str, float]
    """Seconds from request to the callback's delivery."""
    timeline: list[dict[str, float]]
    per_request: list[dict[str, Any]] = field(default_factory=list)


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


@dataclass(frozen=True)
class _Broken:
    """One requirement some streams or requests broke, before it is worded for either."""

    requirement: str
    level: Level
    count: int
    judged: int
    lowest: float
    """The lowest concurrency or rate at which one broke it."""
    share: float
    sample: dict[str, Any]
    gates: bool


def _broken(
    verdicts: list[dict[str, Any]], levels: Sequence[float], catalogue: Catalogue, gate: Gate
) -> list[_Broken]:
    """Each requirement some verdict failed, with the load level (concurrency or rate) of each
    verdict: how many, from which level, the share there and above, the first one's evidence."""
    judged = Counter(r for v in verdicts for r in v["judged"])
    found = []
    for rid in sorted({r for v in verdicts for r in v["failed"]}):
        broken = [(c, v) for c, v in zip(levels, verdicts, strict=True) if rid in v["failed"]]
        lowest, sample = min(broken, key=lambda cv: cv[0])
        above = sum(1 for c in levels if c >= lowest)
        level = requirement_of(catalogue, rid).level
        gates = level is Level.MUST or (gate.strict and level is Level.SHOULD)
        share = len(broken) / above
        found.append(_Broken(rid, level, len(broken), judged[rid], lowest, share, sample, gates))
    return sorted(found, key=lambda x: (-x.count, x.requirement))


def _violations(
    verdicts: list[dict[str, Any]], levels: list[int], catalogue: Catalogue, gate: Gate
) -> list[Violation]:
    """Each requirement some stream broke, in catalogue terms, most streams first."""
    return [
        Violation(b.requirement, b.level.value, b.count, b.judged, int(b.lowest), b.share,
                  f"a stream at concurrency {b.lowest:g}: {b.sample['failed'][b.requirement]}",
                  b.gates)
        for b in _broken(verdicts, levels, catalogue, gate)
    ]  # fmt: skip


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


def _slices(begin: float, end: float) -> Iterator[tuple[int, float, float]]:
    """The run cut into at most TIMELINE_POINTS slices of whole seconds: (index, start, end)."""
    step = max(1.0, math.ceil((end - begin) / TIMELINE_POINTS))
    for index in range(math.ceil((end - begin) / step) or 1):
        yield index, begin + index * step, begin + (index + 1) * step


def _timeline(verdicts: list[dict[str, Any]]) -> list[dict[str, float]]:
    """Open streams, latency p50/p99 and streams ending in violation, per slice of the run."""
    if not verdicts:
        return []
    begin = min(v["opened_at"] for v in verdicts)
    points = []
    for _, a, b in _slices(begin, max(v["ended_at"] for v in verdicts)):
        open_ = sum(1 for v in verdicts if v["opened_at"] < b and v["ended_at"] >= a)
        late = quantiles([x for v in verdicts for t, x in v["latencies"] if a <= t < b])
        bad = sum(1 for v in verdicts if a <= v["ended_at"] < b and v["failed"])
        points.append(
            {"t": a - begin, "open": open_, "p50": late.get("p50", 0.0),
             "p99": late.get("p99", 0.0), "violating": bad}
        )  # fmt: skip
    return points


def rates(requests: list[dict[str, Any]]) -> list[float]:
    """Per request, the rate it was sent at: requests sent within RATE_WINDOW around it, per
    second, to one decimal."""
    times = sorted(r["sent_at"] for r in requests)
    half = RATE_WINDOW / 2
    return [
        round((bisect_right(times, r["sent_at"] + half) - bisect_left(times, r["sent_at"] - half))
              / RATE_WINDOW, 1)
        for r in requests
    ]  # fmt: skip


def _rest_violations(
    requests: list[dict[str, Any]], levels: list[float], catalogue: Catalogue, gate: Gate
) -> list[RestViolation]:
    """Each requirement some request broke, most requests first."""
    return [
        RestViolation(b.requirement, b.level.value, b.count, b.judged, b.lowest, b.share,
                      f"a request at {b.lowest:g} req/s: {b.sample['failed'][b.requirement]}",
                      b.gates)
        for b in _broken(requests, levels, catalogue, gate)
    ]  # fmt: skip


def _rest_statement(
    held: float, peak: float, violations: list[RestViolation], not_answered: int
) -> str:
    """One sentence: up to which rate the contract held, and what broke first."""
    if not violations and not not_answered:
        return f"conformant up to {peak:g} pre-recorded requests/s (the most this run reached)"
    start = f"conformant up to {held:g} requests/s" if held else "not conformant at any rate"
    first = min((v.broke_at for v in violations), default=peak)
    said = "; ".join(
        f"{v.share:.0%} of requests broke {v.requirement} ({v.requests} of {v.judged})"
        for v in violations
        if v.broke_at == first
    )
    lost = f"{not_answered} requests never answered" if not_answered else ""
    return f"{start}; from {first:g} requests/s, " + "; ".join(x for x in (said, lost) if x)


def _rest_timeline(requests: list[dict[str, Any]]) -> list[dict[str, float]]:
    """Rate, answer and callback p50/p99 and requests in violation, per slice of the run."""
    if not requests:
        return []
    begin = min(r["sent_at"] for r in requests)
    points = []
    for index, a, b in _slices(begin, max(r["sent_at"] for r in requests)):
        here = [r for r in requests if a <= r["sent_at"] < b or (index == 0 and r["sent_at"] == b)]
        answer = quantiles([r["answered_after"] for r in here if r["answered_after"] is not None])
        back = quantiles([r["delivered_after"] for r in here if r["delivered_after"] is not None])
        points.append(
            {"t": a - begin, "rate": len(here) / (b - a), "p50": answer.get("p50", 0.0),
             "p99": answer.get("p99", 0.0), "callback_p99": back.get("p99", 0.0),
             "violating": sum(1 for r in here if r["failed"])}
        )  # fmt: skip
    return points


def summarise_requests(
    requests: list[dict[str, Any]], catalogue: Catalogue, gate: Gate
) -> tuple[RestSummary, list[str]]:
    """The requests' summary, and why they fail the gate (one line each)."""
    answered = [r for r in requests if r["not_answered"] is None]
    levels = rates(answered)
    violations = _rest_violations(answered, levels, catalogue, gate)
    not_answered = Counter(r["not_answered"] for r in requests if r["not_answered"] is not None)
    paired = list(zip(levels, answered, strict=True))
    first_bad = min((c for c, r in paired if r["failed"]), default=None)
    clean = [c for c, r in paired if not r["failed"]]
    held = max((c for c in clean if first_bad is None or c < first_bad), default=0.0)
    peak = max(levels, default=0.0)
    summary = RestSummary(
        requests=len(requests),
        answered=len(answered),
        with_callback=sum(1 for r in requests if r["tag"] is not None),
        not_answered=dict(not_answered),
        peak_rate=peak,
        held_up_to=held,
        statement=_rest_statement(held, peak, violations, sum(not_answered.values())),
        violations=violations,
        answer=quantiles([r["answered_after"] for r in answered]),
        callback=quantiles(
            [r["delivered_after"] for r in answered if r["delivered_after"] is not None]
        ),
        timeline=_rest_timeline(answered),
    )
    summary.per_request = [
        {"sent_at": r["sent_at"], "rate": c, "callback": r["tag"] is not None,
         "status": r["status"], "judged": r["judged"], "broken": r["failed"]}
        for c, r in zip(levels, answered, strict=True)
    ] + [{"sent_at": r["sent_at"], "not_answered": r["not_answered"]}
         for r in requests if r["not_answered"] is not None]  # fmt: skip
    failures = [
        f"{v.requirement} ({v.level}) broken by {v.requests} pre-recorded requests"
        for v in violations
        if v.gates
    ]
    if not_answered:
        failures.append(f"{sum(not_answered.values())} pre-recorded requests never answered")
    return summary, failures


def summarise(
    verdicts: list[dict[str, Any]],
    catalogue: Catalogue,
    gate: Gate,
    requests: list[dict[str, Any]] | None = None,
) -> Summary:
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
    if requests:
        summary.rest, failures = summarise_requests(requests, catalogue, gate)
        summary.failures += failures
        answer = summary.rest.answer
        bound = gate.max_answer_p99
        if bound is not None and answer and answer["p99"] > bound:
            summary.failures.append(
                f"pre-recorded answer p99 {answer['p99']:.3f} s above the bound of {bound:g} s"
            )
        summary.statement = (
            summary.rest.statement
            if not verdicts
            else f"streams: {summary.statement}; pre-recorded: {summary.rest.statement}"
        )
    return summary
