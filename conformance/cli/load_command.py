"""`conformance load`: its flags made into a plan, the run, the reports, and the exit code (as
run's: 0 held, 1 broken, 2 usage, 3 harness, 4 unreachable)."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

from rich.console import Console

from conformance.cli.parser import EXIT_FAILED, EXIT_HARNESS, EXIT_PASSED
from conformance.contract import catalogue
from conformance.errors import HarnessError, UsageError
from conformance.load import callbacks, driver, report
from conformance.load.analysis import Gate, summarise
from conformance.load.judge import Deadlines
from conformance.load.plan import BOOT, LoadPlan
from conformance.run import loop
from conformance.timing import TEARDOWN, Timing
from conformance.wire.addresses import reaches_this_machine

FAULTS_DEADLINE = 30.0
"""Seconds for the reference server to list its fault switches."""


def _known_faults(names: list[str]) -> None:
    """Refuse an unknown --fault at once, by the reference server's own list (asked over a
    process boundary: the suite never imports the server)."""
    if not names:
        return
    command = [sys.executable, "-m", "conformance.reference", "--list-faults"]
    try:
        listed = subprocess.run(
            command, capture_output=True, text=True, timeout=FAULTS_DEADLINE, check=True
        ).stdout
    except (subprocess.SubprocessError, OSError) as error:
        raise HarnessError(f"the reference server did not list its faults: {error}") from None
    known = {line.split("\t", 1)[0] for line in listed.splitlines()}
    bad = [name for name in names if name not in known]
    if bad:
        raise UsageError(
            f"--fault {bad[0]}: no such fault switch (see conformance serve --list-faults)"
        )


def _plan(args: argparse.Namespace, timing: Timing) -> LoadPlan:
    """The plan of the flags; its target filled in once known."""
    if args.fault and args.target:
        raise UsageError("--fault switches the embedded reference server: not with --target")
    if args.target and not args.api_key:
        raise UsageError("--target needs --api-key (or $DEEPGRAM_API_KEY)")
    if args.master_host and not args.worker:
        raise UsageError("--master-host is for --worker")
    if args.callback_share and not args.listen_rate:
        raise UsageError("--callback-share is a share of --listen-rate's requests: give both")
    far = args.target and not reaches_this_machine(args.target)
    if args.callback_share and far and not args.callback_public_url:
        raise UsageError(
            "--callback-share needs --callback-public-url: the target cannot reach the "
            f"receiver at {args.callback_host}"
        )
    streams = args.streams if args.streams is not None else (0 if args.listen_rate else 10)
    if not streams and not args.listen_rate:
        raise UsageError("nothing to load: give --streams 1 or more, or --listen-rate")
    _known_faults(args.fault)
    return LoadPlan(
        ws_target="",
        api_key=args.api_key or "",
        streams=streams,
        ramp=args.ramp,
        duration=args.duration,
        clip=args.clip,
        stream_seconds=args.stream_seconds,
        deadlines=Deadlines(timing.stream_message, timing.stream_end, timing.duration_tolerance),
        connect=timing.connect,
        workers=0 if args.master else args.workers,
        remote_workers=max(1, args.workers) if args.master else 0,
        master_port=args.master_port if args.master else driver.free_port(),
        listen_rate=args.listen_rate,
        callback_share=args.callback_share,
        request_deadline=timing.request,
    )


async def _run(
    plan: LoadPlan, args: argparse.Namespace, timing: Timing
) -> tuple[LoadPlan, dict[str, Any]]:
    """The target (or the embedded server) reached, the callback receiver up if wanted, and the
    swarm's result with the callbacks judged."""
    async with driver.target_of(plan, args.target, args.fault, timing) as aimed:
        driver.reachable(aimed)
        async with callbacks.inbox(
            aimed.callback_share > 0, args.callback_host,
            args.callback_public_url, timing.server_start, timing.shutdown,
        ) as inbox:  # fmt: skip
            if inbox is not None:
                aimed = replace(aimed, callback_url=inbox.url)
            result = await driver.swarm(aimed)
            if inbox is not None:
                await inbox.judge(result["requests"], timing.first_delivery())
            return aimed, result


def _worker(args: argparse.Namespace) -> int:
    """`--worker`: a Locust worker of the master at --master-host, until that master quits
    (or 60 s after its heartbeat stops: Locust's own deadline)."""
    if not args.master_host:
        raise UsageError("--worker needs --master-host")
    command = [sys.executable, "-c", BOOT, "worker", args.master_host, str(args.master_port)]
    return EXIT_PASSED if subprocess.run(command, check=False).returncode == 0 else EXIT_HARNESS


def load_command(args: argparse.Namespace, console: Console) -> int:
    """Run the load, write load.json and load.html, print the summary; the exit code."""
    if args.worker:
        return _worker(args)
    timing = Timing(scale=args.time_scale)
    before = os.getloadavg()
    plan, result = loop.run(_run(_plan(args, timing), args, timing), TEARDOWN)
    verdicts, requests = result["verdicts"], result["requests"]
    if plan.streams and not verdicts:
        raise HarnessError("no stream ended within the load run")
    if plan.listen_rate and not requests:
        raise HarnessError("no pre-recorded request ended within the load run")
    gate = Gate(args.strict, args.max_p99, args.max_answer_p99)
    summary = summarise(verdicts, catalogue.load(), gate, requests)
    stream_seconds = summary.opened * plan.audio.duration
    cpu = result["cpu"]
    setup = {
        "target": args.target or "the embedded reference server",
        "faults": args.fault,
        "streams": plan.streams,
        "listen_rate": plan.listen_rate,
        "callback_share": plan.callback_share,
        "listen_users": plan.listen_users,
        "ramp_s": plan.ramp,
        "duration_s": plan.duration,
        "clip": plan.clip,
        "stream_audio_s": plan.audio.duration,
        "processes": result["processes"],
        "lost_streams": result["lost"],
        "cpu_s": cpu,
        "cpu_ms_per_stream_second": (
            cpu / stream_seconds * 1000 if stream_seconds and not requests else None
        ),
        "cpu_ms_per_request": cpu / len(requests) * 1000 if requests and not verdicts else None,
        "load_average": {"before": before, "after": os.getloadavg()},
        "locust": result["locust"],
    }
    for path in report.write(summary, setup, Path(args.report_dir)):
        console.print(f"report: {path}", highlight=False)
    for line in report.console_lines(summary, setup):
        console.print(line, highlight=False, markup=False)
    for failure in summary.failures:
        print(f"conformance: load: {failure}", file=sys.stderr)
    return EXIT_FAILED if summary.failures else EXIT_PASSED
