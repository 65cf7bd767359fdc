"""`conformance load`: its flags made into a plan, the run, the reports, and the exit code (as
run's: 0 held, 1 broken, 2 usage, 3 harness, 4 unreachable)."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from rich.console import Console

from conformance.cli.parser import EXIT_FAILED, EXIT_HARNESS, EXIT_PASSED
from conformance.contract import catalogue
from conformance.errors import HarnessError, UsageError
from conformance.load import driver, report
from conformance.load.analysis import Gate, summarise
from conformance.load.judge import Deadlines
from conformance.load.plan import BOOT, LoadPlan
from conformance.run import loop
from conformance.timing import TEARDOWN, Timing


def _plan(args: argparse.Namespace, timing: Timing) -> LoadPlan:
    """The plan of the flags; its target filled in once known."""
    if args.fault and args.target:
        raise UsageError("--fault switches the embedded reference server: not with --target")
    if args.target and not args.api_key:
        raise UsageError("--target needs --api-key (or $DEEPGRAM_API_KEY)")
    if args.master_host and not args.worker:
        raise UsageError("--master-host is for --worker")
    return LoadPlan(
        ws_target="",
        api_key=args.api_key or "",
        streams=args.streams,
        ramp=args.ramp,
        duration=args.duration,
        clip=args.clip,
        stream_seconds=args.stream_seconds,
        deadlines=Deadlines(timing.stream_message, timing.stream_end, timing.duration_tolerance),
        connect=timing.connect,
        workers=0 if args.master else args.workers,
        remote_workers=max(1, args.workers) if args.master else 0,
        master_port=args.master_port if args.master else driver.free_port(),
    )


async def _run(
    plan: LoadPlan, args: argparse.Namespace, timing: Timing
) -> tuple[LoadPlan, dict[str, Any]]:
    """The target (or the embedded server) reached, and the swarm's result."""
    async with driver.target_of(plan, args.target, args.fault, timing) as aimed:
        driver.reachable(aimed)
        return aimed, await driver.swarm(aimed)


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
    verdicts = result["verdicts"]
    if not verdicts:
        raise HarnessError("no stream ended within the load run")
    summary = summarise(verdicts, catalogue.load(), Gate(args.strict, args.max_p99))
    stream_seconds = summary.opened * plan.audio.duration
    setup = {
        "target": args.target or "the embedded reference server",
        "faults": args.fault,
        "streams": plan.streams,
        "ramp_s": plan.ramp,
        "duration_s": plan.duration,
        "clip": plan.clip,
        "stream_audio_s": plan.audio.duration,
        "processes": result["processes"],
        "lost_streams": result["lost"],
        "cpu_ms_per_stream_second": result["cpu"] / max(stream_seconds, 1e-9) * 1000,
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
