"""Memory and threads of the reference server holding many pending callback deliveries.

    python bench/callbacks.py [--deliveries 10000] [--concurrency 32] [--retry-delay 30]

The reference server runs in its own process (real schedule: 10 retries, --retry-delay apart).
A raw asyncio receiver on a loopback address, port 8080, answers 500 to every delivery, so each
stays pending with its retry timer. The bench submits the deliveries (`POST /v1/listen?callback=`
with the mono test clip, a bounded number in flight), waits for every request_id and every first
attempt, then reads the server's RSS, peak RSS, threads and CPU time from /proc, at 1,000 deliveries
and at all of them; then it waits for every second attempt, which proves each delivery was still
pending with a live timer. Prints the figures and the machine. Not part of the test run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from machine import describe

from conformance.wire import audio

API_KEY = "bench-key"
RETRY_COUNT = 10
CALLBACK_PORT = 8080
"""A port the contract lets a callback use; the address is the first free loopback one."""
START_DEADLINE = 30.0
"""Seconds for the reference server to print its ready line."""
STOP_DEADLINE = 10.0
REQUEST_TIMEOUT = 60.0
"""Seconds one submission may take on a loaded 2-core machine."""
ATTEMPTS_GRACE = 120.0
"""Seconds past the last submission (and the retry delay) for the attempts to arrive."""
CHECKPOINT = 1_000
"""Deliveries pending at the first reading, to compare with the last one."""
RSS_TARGET_MB = 200.0
SERVER_ERROR = b"HTTP/1.1 500 Internal Server Error\r\ncontent-length: 0\r\n\r\n"


class BenchError(Exception):
    """The bench could not take its figures; the message says what went wrong."""


@dataclass
class Receiver:
    """Counts attempts per delivery (one callback path each) and answers every one with 500."""

    total: int
    probe: Callable[[], dict[str, int]]
    """Reads the server's figures; called when CHECKPOINT deliveries have had an attempt."""
    attempts: dict[str, int] = field(default_factory=dict)
    firsts: asyncio.Event = field(default_factory=asyncio.Event)
    seconds: asyncio.Event = field(default_factory=asyncio.Event)
    retried: int = 0
    early: dict[str, int] = field(default_factory=dict)

    def record(self, path: str) -> None:
        """Count one attempt and set the events it completes."""
        count = self.attempts.get(path, 0) + 1
        self.attempts[path] = count
        if count == 1 and len(self.attempts) == min(CHECKPOINT, self.total):
            self.early = self.probe()
        if count == 1 and len(self.attempts) == self.total:
            self.firsts.set()
        if count == 2:
            self.retried += 1
            if self.retried == self.total:
                self.seconds.set()

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """One keep-alive connection: read each request whole, answer 500, until it closes."""
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                request_line, *lines = head.decode("latin-1").split("\r\n")
                length = 0
                for line in lines:
                    name, _, value = line.partition(":")
                    if name.strip().lower() == "content-length":
                        length = int(value)
                await reader.readexactly(length)
                self.record(request_line.split(" ")[1])
                writer.write(SERVER_ERROR)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


def _bind_callback_port() -> socket.socket:
    """Port 8080 on the first loopback address where it is free (others may hold 127.0.0.1)."""
    for n in range(1, 255):
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        try:
            sock.bind((f"127.0.0.{n}", CALLBACK_PORT))
        except OSError:
            sock.close()
            continue
        sock.listen(1024)
        sock.setblocking(False)
        return sock
    raise BenchError(f"no loopback address has port {CALLBACK_PORT} free")


def _status(pid: int) -> dict[str, int]:
    """RSS, peak RSS (kB), thread count and CPU time (ms) of a process, from /proc."""
    wanted = {"VmRSS": "rss_kb", "VmHWM": "peak_kb", "Threads": "threads"}
    out: dict[str, int] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in wanted:
            out[wanted[name]] = int(value.split()[0])
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    ticks = int(fields[11]) + int(fields[12])  # utime + stime, fields 14 and 15 of stat
    out["cpu_ms"] = ticks * 1000 // os.sysconf("SC_CLK_TCK")
    return out


async def _start_reference(retry_delay: float, errors: int) -> asyncio.subprocess.Process:
    """The reference server in its own process, announcing its URL on stdout once it listens."""
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "conformance.reference",
        "--host",
        "127.0.0.1",
        "--port",
        "0",
        "--ready-json",
        "--allow-private-callbacks",
        "--retry-delay",
        str(retry_delay),
        "--retry-count",
        str(RETRY_COUNT),
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=errors,
        env={**os.environ, "CONFORMANCE_REFERENCE_API_KEY": API_KEY},
    )


async def _url(process: asyncio.subprocess.Process) -> str:
    """The URL from the server's ready line, within the start deadline."""
    assert process.stdout is not None
    line = await asyncio.wait_for(process.stdout.readline(), START_DEADLINE)
    if not line:
        raise BenchError(f"the reference server did not start (exit {await process.wait()})")
    return str(json.loads(line)["url"])


async def _stop(process: asyncio.subprocess.Process) -> None:
    """Terminate the reference server, killing it if it does not stop within the deadline."""
    if process.returncode is not None:
        return
    process.terminate()
    try:
        await asyncio.wait_for(process.wait(), STOP_DEADLINE)
    except TimeoutError:
        process.kill()
        await process.wait()


async def _submit(url: str, callback_base: str, count: int, concurrency: int) -> float:
    """POST every delivery's request, at most `concurrency` in flight; seconds taken."""
    wav = audio.mono().wav
    headers = {"Authorization": f"Token {API_KEY}", "Content-Type": "audio/wav"}
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    queue = iter(range(count))

    async def worker(client: httpx.AsyncClient) -> None:
        for index in queue:
            response = await client.post(
                f"{url}/v1/listen",
                params={"callback": f"{callback_base}/delivery/{index}"},
                content=wav,
                headers=headers,
            )
            if response.status_code != 200 or "request_id" not in response.json():
                raise BenchError(f"submission {index}: {response.status_code} {response.text}")

    began = time.perf_counter()
    async with httpx.AsyncClient(timeout=REQUEST_TIMEOUT, limits=limits, trust_env=False) as client:
        await asyncio.gather(*(worker(client) for _ in range(concurrency)))
    return time.perf_counter() - began


async def _wait(event: asyncio.Event, deadline: float, what: str, receiver: Receiver) -> None:
    """Wait for a receiver event, or stop with what was seen when the deadline passes."""
    try:
        await asyncio.wait_for(event.wait(), deadline)
    except TimeoutError:
        raise BenchError(
            f"{what} not seen within {deadline:g} s: {len(receiver.attempts)} deliveries, "
            f"{receiver.retried} retried"
        ) from None


async def run(deliveries: int, concurrency: int, retry_delay: float) -> int:
    """Start both servers, submit, read /proc at the checkpoints, print the figures."""
    sock = _bind_callback_port()
    callback_base = f"http://{sock.getsockname()[0]}:{CALLBACK_PORT}"
    with tempfile.TemporaryFile() as errors:
        process = await _start_reference(retry_delay, errors.fileno())
        receiver = Receiver(deliveries, lambda: _status(process.pid))
        listener = await asyncio.start_server(receiver.serve, sock=sock)
        try:
            url = await _url(process)
            idle = _status(process.pid)
            submit_seconds = await _submit(url, callback_base, deliveries, concurrency)
            await _wait(receiver.firsts, ATTEMPTS_GRACE, "every first attempt", receiver)
            firsts_at = time.perf_counter()
            full = _status(process.pid)
            pending = sum(1 for n in receiver.attempts.values() if n <= RETRY_COUNT)
            await _wait(
                receiver.seconds, retry_delay + ATTEMPTS_GRACE, "every second attempt", receiver
            )
            retried_after = time.perf_counter() - firsts_at
            after = _status(process.pid)
        finally:
            await _stop(process)
            listener.close()
    early, checkpoint = receiver.early, min(CHECKPOINT, deliveries)
    mb = 1024.0
    per_delivery = (full["rss_kb"] - early["rss_kb"]) / max(deliveries - checkpoint, 1)
    print(
        json.dumps(
            {
                "deliveries_pending": pending,
                "rss_mb": round(full["rss_kb"] / mb, 1),
                "peak_rss_mb": round(after["peak_kb"] / mb, 1),
                "threads": full["threads"],
                "submit_seconds": round(submit_seconds, 1),
            }
        )
    )
    print(
        f"{pending} deliveries pending (first attempt answered 500, {RETRY_COUNT} retries "
        f"{retry_delay:g} s apart to come); {deliveries} submitted in {submit_seconds:.1f} s "
        f"({deliveries / submit_seconds:.0f}/s, {concurrency} in flight, "
        f"{len(audio.mono().wav)} byte WAV each)"
    )
    print(
        f"reference RSS: idle {idle['rss_kb'] / mb:.1f} MB; {checkpoint} pending "
        f"{early['rss_kb'] / mb:.1f} MB; {pending} pending {full['rss_kb'] / mb:.1f} MB "
        f"({per_delivery:.1f} kB per further delivery; target < {RSS_TARGET_MB:.0f} MB)"
    )
    print(
        f"reference threads: idle {idle['threads']}; {checkpoint} pending {early['threads']}; "
        f"{pending} pending {full['threads']}"
    )
    print(
        f"second attempts: all {receiver.retried} came within {retried_after:.1f} s of the last "
        f"first attempt; then RSS {after['rss_kb'] / mb:.1f} MB (peak "
        f"{after['peak_kb'] / mb:.1f} MB), {after['threads']} threads"
    )
    cpu = (after["cpu_ms"] - full["cpu_ms"]) / 1000
    print(
        f"reference CPU: {full['cpu_ms'] / 1000:.1f} s until every first attempt was answered, "
        f"{cpu:.1f} s over the {retried_after:.1f} s of second attempts"
    )
    print(f"machine: {describe()}")
    grew = full["threads"] > early["threads"]
    return 1 if full["rss_kb"] / mb >= RSS_TARGET_MB or grew else 0


def main() -> int:
    """Parse the flags and run the bench."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deliveries", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--retry-delay", type=float, default=30.0)
    args = parser.parse_args()
    try:
        return asyncio.run(run(args.deliveries, args.concurrency, args.retry_delay))
    except BenchError as error:
        print(f"bench/callbacks.py: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
