"""Hostile callback targets: a proxy in front of a real reference server breaks one thing about
deliveries; exactly the CALLBACK requirements that depend on it fail, saying what happened, and
every LISTEN requirement still passes, in bounded time, with exit code 1."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
from hostile_callbacks import hostile_callbacks
from hostile_runs import Ran, judge, run_alone, run_together, take, upstream_reference

from conformance.contract import catalogue
from conformance.timing import Timing

SCALES = {"silent": 0.1, "wrong-path": 0.1, "flood": 2.0, "wrong-request-id": 2.0}
"""--time-scale per mode. At 0.1 a first delivery is due within 6 s, so the modes that never
deliver to the case's path end soon (a request may still take 6 s, a case 30 s: room for the
LISTEN area on a loaded machine). The modes that deliver get 4 s of slack on each next attempt
(0.2 s at 0.1: on a loaded machine a late retry would read as the end of the schedule, and too
few attempts as no flood); it costs them nothing, since their attempts do come."""
FIRST_DELIVERY = Timing(SCALES["silent"]).first_delivery()

EXPECTED = {
    "silent": {"CALLBACK-DELIVERY": f"no callback arrived in {FIRST_DELIVERY:g} s"},
    "wrong-path": {
        "CALLBACK-DELIVERY": "came to paths the suite never gave out, e.g. POST /callback/"
    },
    "flood": {
        "CALLBACK-RETRY-LIMIT": "and 12 attempts came; at most 11",
        "CALLBACK-RETRY-STOPS": "200 was followed by another attempt",
    },
    "wrong-request-id": {"CALLBACK-REQUEST-ID": "the delivery's metadata.request_id is"},
}
"""Mode -> the requirements it breaks, each with words its reason must hold."""
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


@pytest.fixture(scope="module")
def upstream() -> Iterator[str]:
    """One reference server behind every proxy of this module."""
    with upstream_reference() as url:
        yield url


def _flags(mode: str, url: str) -> list[str]:
    """CALLBACK and LISTEN against the proxy for `mode` at `url`."""
    return [
        "--target", url, "--only", "CALLBACK", "--only", "LISTEN",
        "--time-scale", str(SCALES[mode]),
    ]  # fmt: skip


@pytest.fixture(scope="module")
def shared(upstream: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Ran]:
    """Every mode's run, all at once (each waits mostly on deliveries or their absence), each
    behind a proxy of its own: a test judges its mode's the first time (hostile_runs.take)."""
    with ExitStack() as proxies:
        runs = {
            mode: (
                tmp_path_factory.mktemp(mode),
                _flags(mode, proxies.enter_context(hostile_callbacks(mode, upstream))),
            )
            for mode in EXPECTED
        }
        return run_together(runs)


@pytest.mark.parametrize("mode", sorted(EXPECTED))
def test_hostile_callbacks_break_only_what_they_break(
    mode: str, shared: dict[str, Ran], upstream: str, tmp_path: Path
) -> None:
    def alone() -> Ran:
        with hostile_callbacks(mode, upstream) as url:
            return run_alone(tmp_path, *_flags(mode, url))

    judged = judge(take(shared, mode, alone))
    expected = EXPECTED[mode]
    assert judged.broken() == set(expected), {i: judged.reason(i) for i in judged.broken()}
    for requirement_id, words in expected.items():
        assert judged.verdict(requirement_id) == "fail"
        assert words in judged.reason(requirement_id)
    listen = {r.id for r in catalogue.load().requirements if r.area == "LISTEN"}
    assert listen <= judged.with_verdict("pass")
    if mode == "wrong-request-id":
        given, delivered = UUID.findall(judged.reason("CALLBACK-REQUEST-ID"))
        assert given != delivered
    skips = [judged.reason(i) for i in judged.with_verdict("skip")]
    # CALLBACK-HTTPS skips: the proxy is no embedded server and cannot verify the run's authority
    assert all(
        "blocked: CALLBACK-DELIVERY fails" in r or "--api-key-id" in r or "https address" in r
        for r in skips
    ), skips
