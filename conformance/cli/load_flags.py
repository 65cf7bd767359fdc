"""`conformance load`'s flags: the target, the streams and their shape, the processes, the
gate."""

from __future__ import annotations

import argparse
import os
from typing import Any

from conformance.cli import values
from conformance.wire import audio


def seconds(text: str) -> float:
    """A duration of 0 s or more."""
    value = float(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, not {text}")
    return value


def add_load_parser(commands: argparse._SubParsersAction[Any]) -> None:
    """The `load` subcommand and its flags."""
    load = commands.add_parser(
        "load",
        help="hold N concurrent live streams on Locust, each judged by the stream rules; "
        "say up to what concurrency the contract held",
        description="Conformance under load. Without --target, the embedded reference server "
        "is started and loaded. Exit codes as for run: 0 held, 1 a gated requirement broken, "
        "a stream not opened or --max-p99 exceeded, 2 usage, 3 harness, 4 unreachable.",
    )
    load.add_argument("--target", metavar="URL", help="the server's base URL (http or https)")
    load.add_argument(
        "--api-key",
        default=os.environ.get("DEEPGRAM_API_KEY"),
        metavar="KEY",
        help="the key the target accepts (default $DEEPGRAM_API_KEY)",
    )
    load.add_argument(
        "--streams",
        type=values.at_least_one,
        default=10,
        metavar="N",
        help="concurrent live streams to reach (default 10)",
    )
    load.add_argument(
        "--ramp",
        type=seconds,
        default=10.0,
        metavar="SECONDS",
        help="seconds to reach them, at Locust's spawn rate (default 10)",
    )
    load.add_argument(
        "--duration",
        type=seconds,
        default=30.0,
        metavar="SECONDS",
        help="seconds to hold them after the ramp (default 30)",
    )
    load.add_argument(
        "--clip",
        choices=sorted(audio.CLIPS),
        default="mono",
        help="the suite's clip each stream sends at 1x (default mono)",
    )
    load.add_argument(
        "--stream-seconds",
        type=values.positive,
        default=20.0,
        metavar="SECONDS",
        help="each stream repeats its clip to at least this long (default 20)",
    )
    role = load.add_mutually_exclusive_group()
    role.add_argument(
        "--master", action="store_true", help="wait for --workers workers from other machines"
    )
    role.add_argument(
        "--worker", action="store_true", help="be a worker of the master at --master-host"
    )
    load.add_argument(
        "--workers",
        type=values.count,
        default=os.cpu_count() or 1,
        metavar="N",
        help="worker processes (default one per core; 0: one process)",
    )
    load.add_argument("--master-host", metavar="HOST", help="the master a --worker joins")
    load.add_argument(
        "--master-port",
        type=values.at_least_one,
        default=5557,
        metavar="PORT",
        help="the master's port (default 5557; local workers take a free one)",
    )
    load.add_argument(
        "--fault",
        action="append",
        default=[],
        metavar="NAME",
        help="a fault switch of the embedded reference server (repeatable)",
    )
    load.add_argument("--strict", action="store_true", help="SHOULD requirements gate too")
    load.add_argument(
        "--max-p99",
        type=values.positive,
        metavar="SECONDS",
        help="fail when the latency p99 is above this",
    )
    load.add_argument(
        "--time-scale",
        type=values.positive,
        default=1.0,
        metavar="FACTOR",
        help="multiply every deadline (default 1)",
    )
    load.add_argument(
        "--report-dir",
        default="reports",
        metavar="DIR",
        help="where load.json and load.html go (default reports)",
    )
