"""Live streaming latency of the reference server: N concurrent WebSocket streams at 1x real time.

    python bench/streams.py [--streams 400] [--seconds 10] [--generators 2] [--deflate]

The reference server runs in its own process (`python -m conformance.reference`, with the flags
the embedded run passes); the load comes from --generators other processes (this file, run with
--generate), each holding its share of the streams as plain asyncio `websockets` clients.
Every stream opens `/v1/listen?encoding=linear16&sample_rate=16000&channels=1` and sends
--seconds of generated speech-like audio (16 kHz mono linear16) at 1x real time in 100 ms
frames (3200 bytes): frame j at GO + i/N + j * 0.1 s, so stream i of N starts i/N s after the
common start and the streams' frames (and their Results) are spread evenly over each second.
Then it sends CloseStream and reads until the server closes.

Latency, precisely. Each second of the audio has two voiced bursts and ends in 180 ms of
silence, so the reference cuts its final windows exactly at whole seconds. Second k of a stream
(k = 1 .. S) ends with frame 10k - 1; its end time T_k is the moment the send of that frame
returned in the generator. The final Results covering second k is the first message received
with `type: Results`, `is_final: true`, `start < k` and `start + duration >= k` (compared to
the millisecond). Its latency is that message's arrival time minus T_k, both read from the
generator's monotonic clock. Each stream gives S samples; p50/p90/p99/max are over all of them.

A stream fails when its upgrade fails, a second gets no covering final, no Metadata arrives, or
the server does not close it with 1000 within the deadline after CloseStream; failures are
counted and listed, never hidden. To show the generators are not the bottleneck, each reports
its CPU use (percent of one core) and how late its frames left against their schedule; the
server's CPU use is read from /proc. Prints the load average, the figures and the machine. Not
part of the test run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import resource
import selectors
import subprocess
import sys
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from machine import describe
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake

RATE = 16_000
FRAME = 0.1
"""Seconds of audio per binary frame."""
FRAMES_PER_SECOND = round(1 / FRAME)
QUERY = "encoding=linear16&sample_rate=16000&channels=1"
API_KEY = "bench-key"
START_DEADLINE = 30.0
"""Seconds the reference server may take to listen."""
CONNECT_DEADLINE = 120.0
"""Seconds a generator may take to open all its streams."""
GO_DELAY = 1.0
"""Seconds between the go signal and the common start, so every generator is waiting."""
END_DEADLINE = 15.0
"""Seconds after its last frame within which a stream must have been closed by the server."""
HANDSHAKES_IN_FLIGHT = 16
"""Upgrades one generator has in flight at once (the listen backlog is finite)."""
IDLE_TIMEOUT = 120.0
"""The server's stream idle timeout: opened streams wait for the common start without ending."""
TARGET_STREAMS, TARGET_P99_MS = 400, 200
"""Issue 8: 400 concurrent streams at p99 <= 200 ms on a 2-core machine."""
VARIANTS = 8
"""Distinct voices (fundamental frequencies); stream i speaks with voice i mod VARIANTS."""


def speech(seconds: int, variant: int) -> bytes:
    """seconds of 16-bit PCM: two harmonic bursts per second, each second ending in silence."""
    t = np.arange(RATE) / RATE
    f0 = 110.0 + 12.0 * variant
    second = np.zeros(RATE)
    for start, end in ((0.05, 0.40), (0.52, 0.82)):
        a, b = round(start * RATE), round(end * RATE)
        phase = 2 * math.pi * f0 * t[: b - a]
        tone = sum(np.sin(k * phase) / k for k in range(1, 6))
        envelope = np.sin(np.pi * np.arange(b - a) / (b - a)) ** 0.5
        second[a:b] = 0.4 * tone * envelope
    pcm = np.clip(np.tile(second, seconds) * 32767, -32768, 32767).astype("<i2")
    return pcm.tobytes()


def _frames(seconds: int, variant: int) -> list[bytes]:
    """The audio of one voice, cut into 100 ms frames."""
    data = speech(seconds, variant)
    size = round(RATE * FRAME) * 2
    return [data[i : i + size] for i in range(0, len(data), size)]


@dataclass
class Stream:
    """What one stream observed: send times per frame, finals and how it ended."""

    sent: list[float] = field(default_factory=list)
    late: list[float] = field(default_factory=list)
    finals: list[tuple[float, float, float]] = field(default_factory=list)
    """(start, end, arrival) of each final Results, in arrival order."""
    metadata: bool = False
    close_code: int | None = None
    error: str | None = None

    def latencies(self, seconds: int) -> tuple[list[float], str | None]:
        """Latency of each second (see the module docstring) and why the stream failed, if so."""
        out: list[float] = []
        for k in range(1, len(self.sent) // FRAMES_PER_SECOND + 1):
            ended = self.sent[FRAMES_PER_SECOND * k - 1]
            arrival = next(
                (a for s, e, a in self.finals if round(s, 3) < k and round(e, 3) >= k), None
            )
            if arrival is None:
                return out, self.error or f"no final Results covering second {k}"
            out.append(arrival - ended)
        if self.error is not None or len(out) < seconds:
            return out, self.error or f"only {len(out)} of {seconds} seconds sent"
        if not self.metadata:
            return out, "no Metadata"
        if self.close_code != 1000:
            return out, f"closed with {self.close_code}, not 1000"
        return out, None


async def _receive(ws: ClientConnection, stream: Stream) -> None:
    """Record every final's window and arrival, the Metadata and the close code."""
    try:
        async for raw in ws:
            arrival = time.monotonic()
            message = json.loads(raw)
            if message.get("type") == "Results" and message.get("is_final"):
                start = float(message["start"])
                stream.finals.append((start, start + float(message["duration"]), arrival))
            elif message.get("type") == "Metadata":
                stream.metadata = True
    except ConnectionClosed:
        pass
    stream.close_code = ws.close_code


async def _send(ws: ClientConnection, frames: list[bytes], begin: float, stream: Stream) -> None:
    """Send each frame on its schedule (paced against the clock, never drifting), then close."""
    for index, frame in enumerate(frames):
        due = begin + index * FRAME
        delay = due - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        await ws.send(frame)
        stream.sent.append(time.monotonic())
        stream.late.append(stream.sent[-1] - due)
    await ws.send(json.dumps({"type": "CloseStream"}))


async def _run_stream(ws: ClientConnection, frames: list[bytes], begin: float) -> Stream:
    """One stream from its first frame to the server's close, within the end deadline."""
    stream = Stream()
    receiver = asyncio.ensure_future(_receive(ws, stream))
    try:
        async with asyncio.timeout(len(frames) * FRAME + END_DEADLINE + (begin - time.monotonic())):
            await _send(ws, frames, begin, stream)
            await asyncio.shield(receiver)
    except TimeoutError:
        stream.error = f"not closed within {END_DEADLINE:g} s of its last frame"
    except ConnectionClosed as closed:
        stream.error = f"closed while sending: {closed}"
    receiver.cancel()
    return stream


async def _open(
    url: str, key: str, gate: asyncio.Semaphore, deflate: bool
) -> ClientConnection | str:
    """One upgraded stream, or why it could not be opened."""
    async with gate:
        try:
            return await connect(
                url,
                additional_headers={"Authorization": f"Token {key}"},
                compression="deflate" if deflate else None,
                ping_interval=None,
                open_timeout=CONNECT_DEADLINE,
                max_queue=None,
            )
        except (InvalidHandshake, OSError, TimeoutError) as error:
            return f"upgrade failed: {error!r}"


async def _go_signal() -> float:
    """The common start time (monotonic clock, shared by the processes) from stdin."""
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    async with asyncio.timeout(CONNECT_DEADLINE):
        return float(await reader.readline())


def _cpu_seconds() -> float:
    """CPU time this process has used."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _waited(pid: int | str) -> float:
    """Seconds the process's main thread has spent runnable but waiting for a core (schedstat)."""
    with open(f"/proc/{pid}/schedstat", encoding="ascii") as stat:
        return int(stat.read().split()[1]) / 1e9


async def generate(args: argparse.Namespace) -> None:
    """Generator process: open the share of streams, report, wait for go, stream, report."""
    voices = [_frames(args.seconds, v) for v in range(VARIANTS)]
    url = f"{args.url}/v1/listen?{QUERY}"
    gate = asyncio.Semaphore(HANDSHAKES_IN_FLIGHT)
    opened = await asyncio.gather(
        *(_open(url, args.api_key, gate, args.deflate) for _ in range(args.count))
    )
    print(json.dumps({"opened": sum(not isinstance(o, str) for o in opened)}), flush=True)
    go = await _go_signal()
    cpu, wall, waited = _cpu_seconds(), time.monotonic(), _waited("self")
    runs = []
    for offset, ws in enumerate(opened, start=args.first):
        if isinstance(ws, str):
            runs.append(asyncio.sleep(0, Stream(error=ws)))
            continue
        begin = go + offset / args.total
        runs.append(_run_stream(ws, voices[offset % VARIANTS], begin))
    streams = await asyncio.gather(*runs)
    cpu, wall, waited = _cpu_seconds() - cpu, time.monotonic() - wall, _waited("self") - waited
    latencies: list[float] = []
    failures: list[str] = []
    late: list[float] = []
    for stream in streams:
        found, failure = stream.latencies(args.seconds)
        latencies += found
        late += stream.late
        if failure is not None:
            failures.append(failure)
    report = {"latencies": latencies, "failures": failures, "late": late}
    print(json.dumps({**report, "cpu": cpu, "wall": wall, "waited": waited}), flush=True)


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
    assert server.stdout is not None
    ready = _read_line(server, START_DEADLINE)
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
            sys.executable, __file__, "--generate", "--url", ws_url, "--count", str(share),
            "--first", str(first), "--total", str(args.streams), "--seconds", str(args.seconds),
            "--api-key", args.api_key,
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
        before = (_process_cpu(pid), _waited(pid)) if pid else (0.0, 0.0)
        for child in children:
            assert child.stdin is not None
            child.stdin.write(f"{go}\n")
            child.stdin.flush()
        deadline = GO_DELAY + 1 + args.seconds + END_DEADLINE + 10
        reports = [json.loads(_read_line(c, deadline)) for c in children]
        after = (_process_cpu(pid), _waited(pid)) if pid else (0.0, 0.0)
    finally:
        for child in children:
            child.terminate()
            child.wait(10)
    return {
        "opened": opened,
        "reports": reports,
        "server_cpu": after[0] - before[0],
        "server_waited": after[1] - before[1],
        "load": os.getloadavg(),
    }


def _print(args: argparse.Namespace, run: dict[str, Any], pid: int | None) -> int:
    """The figures of one run; 1 when any stream failed."""
    reports = run["reports"]
    latencies = [x for r in reports for x in r["latencies"]]
    failures = [f for r in reports for f in r["failures"]]
    wall = max(r["wall"] for r in reports)
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
    if pid:
        per_second = run["server_cpu"] / max(1, run["opened"] * args.seconds) * 1000
        print(
            f"server CPU: {run['server_cpu'] / wall * 100:.0f}% of one core over {wall:.1f} s "
            f"({per_second:.2f} ms per stream-second of audio); runnable but waiting for a core "
            f"{run['server_waited'] / wall * 100:.0f}% of the time (other load)"
        )
    for index, report in enumerate(reports):
        print(
            f"generator {index + 1}: CPU {report['cpu'] / report['wall'] * 100:.0f}% of one core, "
            f"waiting for a core {report['waited'] / report['wall'] * 100:.0f}%; "
            f"frames sent late against schedule {_ms(report['late'])}"
        )
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
    """Measure, or (with --generate) be one of the load generators."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--streams", type=int, default=400)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--generators", type=int, default=2)
    parser.add_argument("--deflate", action="store_true", help="offer permessage-deflate")
    parser.add_argument(
        "--target", help="ws://HOST:PORT of a running server, instead of starting one"
    )
    parser.add_argument("--pid", type=int, help="the target's process id, for its CPU figures")
    parser.add_argument("--api-key", default=API_KEY, help="the key the target accepts")
    parser.add_argument("--generate", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--count", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--first", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--total", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.generate:
        asyncio.run(generate(args))
        return 0
    return measure(args)


if __name__ == "__main__":
    sys.exit(main())
