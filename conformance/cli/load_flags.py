"""`conformance load`'s flags: the target, the streams, the pre-recorded requests (their rate
and the share with a callback) and their shape, the callback receiver, the processes, the
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


def share(text: str) -> float:
    """A share from 0 to 1."""
    value = float(text)
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"must be from 0 to 1, not {text}")
    return value


def add_load_parser(commands: argparse._SubParsersAction[Any]) -> None:
    """The `load` subcommand and its flags."""
    load = commands.add_parser(
        "load",
        help="hold N concurrent live streams and R pre-recorded requests a second on Locust, "
        "each judged by the suite's rules; say up to what concurrency and rate the contract held",
        description="Conformance under load. Without --target, the embedded reference server "
        "is started and loaded. Exit codes as for run: 0 held, 1 a gated requirement broken, "
        "a stream not opened, a request not answered or a p99 bound exceeded, 2 usage, "
        "3 harness, 4 unreachable.",
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
        type=values.count,
        metavar="N",
        help="concurrent live streams to reach (default 10, or 0 with --listen-rate)",
    )
    load.add_argument(
        "--listen-rate",
        type=values.positive,
        default=0.0,
        metavar="R",
        help="pre-recorded POST /v1/listen requests per second to reach, paced by Locust "
        "(default none)",
    )
    load.add_argument(
        "--callback-share",
        type=share,
        default=0.0,
        metavar="F",
        help="the share of the pre-recorded requests sent with a callback to the suite's "
        "receiver, from 0 to 1 (default 0: none; 0.5: every other one)",
    )
    load.add_argument(
        "--callback-host",
        default="127.0.0.1",
        metavar="HOST",
        help="address the callback receiver listens on, port 8080 (default 127.0.0.1)",
    )
    load.add_argument(
        "--callback-public-url",
        metavar="URL",
        help="base URL the target uses to reach the receiver (tunnel or public host)",
    )
    load.add_argument(
        "--ramp",
        type=seconds,
        default=10.0,
        metavar="SECONDS",
        help="seconds to reach them (and the rate), at Locust's spawn rate (default 10)",
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
        help="the suite's clip each stream sends at 1x, and each pre-recorded request "
        "(default mono)",
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
        help="fail when the streams' latency p99 is above this",
    )
    load.add_argument(
        "--max-answer-p99",
        type=values.positive,
        metavar="SECONDS",
        help="fail when the pre-recorded requests' p99, request to answer, is above this",
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
