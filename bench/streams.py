"""Live streaming latency of the reference server: N concurrent WebSocket streams at 1x real time.

    python bench/streams.py [--streams 400] [--seconds 10] [--generators 2] [--deflate]
    python bench/streams.py --target ws://HOST:PORT [--pid PID] [--api-key KEY]   # another server

The reference server runs in its own process (`python -m conformance.reference`, with the flags
the embedded run passes); the load comes from --generators other processes (bench/stream_load.py),
each holding its share of the streams on websockets' sans-I/O protocol over bare asyncio
transports, paced by timer callbacks, so they take little of the two cores the server needs.
Every stream opens `/v1/listen?encoding=linear16&sample_rate=16000&channels=1` and sends
--seconds of generated speech-like audio (16 kHz mono linear16) at 1x real time in 100 ms
frames (3200 bytes): frame j at GO + i/N + j * 0.1 s, so stream i of N starts i/N s after the
common start and the streams' frames (and their Results) are spread evenly over each second.
Then it sends CloseStream and reads until the server closes.

Latency, precisely. Each second of the audio has two voiced bursts and ends in 180 ms of
silence, so the reference cuts its final windows exactly at whole seconds. Second k of a stream
(k = 1 .. S) ends with frame 10k - 1; its end time T_k is the moment the generator wrote that
frame to its socket. The final Results covering second k is the first message received with
`type: Results`, `is_final: true`, `start < k` and `start + duration >= k` (compared to the
millisecond). Its latency is that message's arrival time minus T_k, both read from the
generator's monotonic clock. Each stream gives S samples; p50/p90/p99/max are over all of them.
(A target that cuts its windows elsewhere adds its own endpointing delay to these figures.)

A stream fails when its upgrade fails, a second gets no covering final, no Metadata arrives, or
the server does not close it with 1000 within the deadline after CloseStream; failures are
counted and listed, never hidden. So that a reader can tell the generators from the server:
each generator reports its CPU use, how late its timer fired to send each frame (its own lag)
and the most bytes a frame left unsent in its buffer (the server pushing back). The server's CPU
use comes from /proc/PID/stat, and from /proc/PID/schedstat the share of the run it spent
runnable but waiting for a core: on a shared machine, the other load the figures were measured
under. Not part of the test run.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import selectors
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from machine import describe
from stream_load import CONNECT_DEADLINE, END_DEADLINE, waited

API_KEY = "bench-key"
START_DEADLINE = 30.0
"""Seconds the reference server may take to listen."""
GO_DELAY = 1.0
"""Seconds between the go signal and the common start, so every generator is waiting."""
IDLE_TIMEOUT = 120.0
"""The server's stream idle timeout: opened streams wait for the common start without ending."""
TARGET_STREAMS, TARGET_P99_MS = 400, 200
"""Issue 8: 400 concurrent streams at p99 <= 200 ms on a 2-core machine."""
LOAD = Path(__file__).with_name("stream_load.py")
"""The load generator each generator process runs."""


def _quantile(values: list[float], q: float) -> float:
    """Nearest-rank quantile of a non-empty list."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def _ms(values: list[float]) -> str:
    """p50/p90/p99/max in milliseconds."""
    if not values:
        return "no samples"
    parts = [f"p{round(q * 100)} {_quantile(values, q) * 1000:.0f}" for q in (0.5, 0.9, 0.99)]
    return " / ".join(parts) + f" / max {max(values) * 1000:.0f} ms"


def _process_cpu(pid: int) -> float:
    """CPU seconds (user + system) process pid has used, from /proc."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _start_server(key: str) -> tuple[subprocess.Popen[str], str]:
    """The reference server in its own process, as the embedded run starts it; its ws URL."""
    command = [
        sys.executable, "-m", "conformance.reference", "--host", "127.0.0.1", "--port", "0",
        "--ready-json", "--allow-private-urls", "--allow-private-callbacks",
        "--stream-idle-timeout", str(IDLE_TIMEOUT),
    ]  # fmt: skip
    server = subprocess.Popen(
        command,
        env={**os.environ, "CONFORMANCE_REFERENCE_API_KEY": key},
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        ready = _read_line(server, START_DEADLINE)
    except SystemExit:
        server.kill()
        server.wait()
        raise
    return server, str(json.loads(ready)["ws_url"])


def _read_line(process: subprocess.Popen[str], deadline: float) -> str:
    """One line of a child's stdout, or SystemExit when none comes within the deadline."""
    assert process.stdout is not None
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        if not selector.select(deadline):
            raise SystemExit(f"no answer from {process.args!r} within {deadline:g} s")
    line = process.stdout.readline()
    if not line:
        raise SystemExit(f"{process.args!r} exited with {process.wait()}")
    return line


def _generators(args: argparse.Namespace, ws_url: str) -> list[subprocess.Popen[str]]:
    """Start the generator processes, each with its share of the streams."""
    children = []
    shares = [args.streams // args.generators] * args.generators
    for index in range(args.streams % args.generators):
        shares[index] += 1
    first = 0
    for share in shares:
        command = [
            sys.executable, str(LOAD), "--url", ws_url, "--api-key", args.api_key,
            "--count", str(share), "--first", str(first), "--total", str(args.streams),
            "--seconds", str(args.seconds),
        ] + (["--deflate"] if args.deflate else [])  # fmt: skip
        children.append(
            subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        )
        first += share
    return children


def _stream(args: argparse.Namespace, ws_url: str, pid: int | None) -> dict[str, Any]:
    """Run the generators against ws_url; their reports, with the server's CPU use if pid."""
    children = _generators(args, ws_url)
    try:
        opened = sum(json.loads(_read_line(c, CONNECT_DEADLINE))["opened"] for c in children)
        go = time.monotonic() + GO_DELAY
        before = (_process_cpu(pid), waited(pid), time.monotonic()) if pid else (0.0,) * 3
        for child in children:
            assert child.stdin is not None
            child.stdin.write(f"{go}\n")
            child.stdin.flush()
        deadline = GO_DELAY + 1 + args.seconds + END_DEADLINE + 10
        reports = [json.loads(_read_line(c, deadline)) for c in children]
        after = (_process_cpu(pid), waited(pid), time.monotonic()) if pid else (0.0,) * 3
    finally:
        for child in children:
            child.terminate()
            child.wait(10)
    return {
        "opened": opened,
        "reports": reports,
        "server_cpu": after[0] - before[0],
        "server_waited": after[1] - before[1],
        "server_wall": after[2] - before[2],
        "load": os.getloadavg(),
    }


def _print_cpu(args: argparse.Namespace, run: dict[str, Any], pid: int | None) -> None:
    """Where the cores went: the server's use and wait (with its pid), each generator's."""
    if pid:
        per_second = run["server_cpu"] / max(1, run["opened"] * args.seconds) * 1000
        wall = run["server_wall"]
        print(
            f"server CPU: {run['server_cpu'] / wall * 100:.0f}% of one core over {wall:.1f} s "
            f"({per_second:.2f} ms per stream-second of audio); runnable but waiting for a core "
            f"{run['server_waited'] / wall * 100:.0f}% of the time (generators and other load)"
        )
    for index, report in enumerate(run["reports"]):
        print(
            f"generator {index + 1}: CPU {report['cpu'] / report['wall'] * 100:.0f}% of one core, "
            f"waiting for a core {report['waited'] / report['wall'] * 100:.0f}%; "
            f"timer late to send a frame {_ms(report['lag'])}; at most "
            f"{report['queued']} bytes left unsent behind a frame (server pushing back)"
        )


def _print(args: argparse.Namespace, run: dict[str, Any], pid: int | None) -> int:
    """The figures of one run; 1 when any stream failed."""
    reports = run["reports"]
    latencies = [x for r in reports for x in r["latencies"]]
    failures = [f for r in reports for f in r["failures"]]
    print(
        f"{args.streams} streams x {args.seconds} s of 16 kHz linear16 at 1x in 100 ms frames, "
        f"{args.generators} generator processes, deflate {'on' if args.deflate else 'off'}; "
        f"{run['opened']} opened"
    )
    print(f"latency, end of each second to its final Results ({len(latencies)} samples): ", end="")
    print(_ms(latencies))
    if latencies and args.streams >= TARGET_STREAMS:
        met = _quantile(latencies, 0.99) * 1000 <= TARGET_P99_MS
        print(
            f"issue 8 target, p99 <= {TARGET_P99_MS} ms at {TARGET_STREAMS} streams: "
            + ("met" if met else "NOT met")
        )
    print(f"streams failed: {len(failures)}")
    for reason in sorted(set(failures)):
        print(f"  {failures.count(reason)} x {reason}")
    if run["opened"]:
        _print_cpu(args, run, pid)
    print(f"load average after: {' '.join(f'{x:.2f}' for x in run['load'])}")
    print(f"machine: {describe()}")
    return 1 if failures else 0


def measure(args: argparse.Namespace) -> int:
    """Start the server (unless given a target) and the generators; print the figures."""
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    if args.target:
        return _print(args, _stream(args, args.target, args.pid), args.pid)
    server, ws_url = _start_server(args.api_key)
    print(f"reference server pid {server.pid} (py-spy record --pid {server.pid} to profile it)")
    try:
        run = _stream(args, ws_url, server.pid)
    finally:
        server.terminate()
        server.wait(10)
    return _print(args, run, server.pid)


def main() -> int:
    """Start the server (unless given a target) and the generators; print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--streams", type=int, default=TARGET_STREAMS)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--generators", type=int, default=2)
    parser.add_argument("--deflate", action="store_true", help="offer permessage-deflate")
    parser.add_argument("--target", help="ws://HOST:PORT of a running server, not the reference")
    parser.add_argument("--pid", type=int, help="the target's process id, for its CPU figures")
    parser.add_argument("--api-key", default=API_KEY, help="the key the target accepts")
    return measure(parser.parse_args())


if __name__ == "__main__":
    sys.exit(main())
