"""The load generator of bench/streams.py: one process's share of the live streams.

    python bench/stream_load.py --url ws://HOST:PORT --api-key KEY --count N --first I
        --total T --seconds S [--deflate]

Opens its streams, prints {"opened": N}, reads the common start time (monotonic clock) from
stdin, sends each stream's audio on its schedule, then prints one JSON line: every latency
sample, every failure, the timer lag of each frame, the most bytes left unsent, and its own CPU
use and wait for a core. bench/streams.py defines the measurements; this file only makes them.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import resource
import sys
import time
from dataclasses import dataclass, field

import numpy as np
from websockets.client import ClientProtocol
from websockets.exceptions import InvalidHandshake, InvalidState
from websockets.extensions.permessage_deflate import enable_client_permessage_deflate
from websockets.frames import Frame, Opcode
from websockets.http11 import Response
from websockets.uri import parse_uri

RATE = 16_000
FRAME = 0.1
"""Seconds of audio per binary frame."""
FRAMES_PER_SECOND = round(1 / FRAME)
QUERY = "encoding=linear16&sample_rate=16000&channels=1"
CONNECT_DEADLINE = 120.0
"""Seconds a generator may take to open all its streams (and to be told to start)."""
END_DEADLINE = 15.0
"""Seconds after its last frame within which a stream must have been closed by the server."""
HANDSHAKES_IN_FLIGHT = 16
"""Upgrades one generator has in flight at once (the listen backlog is finite)."""
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
    lag: list[float] = field(default_factory=list)
    """Per frame, how late the generator's timer fired to send it (its own delay)."""
    queued: int = 0
    """Most bytes left in the generator's send buffer after a frame (the server pushing back)."""
    finals: list[tuple[float, float, float]] = field(default_factory=list)
    """(start, end, arrival) of each final Results, in arrival order."""
    metadata: bool = False
    close_code: int | None = None
    error: str | None = None

    def message(self, text: bytes, arrival: float) -> None:
        """Record a final's window and arrival, or the Metadata; a malformed one fails it."""
        try:
            message = json.loads(text)
            if message["type"] == "Results" and message["is_final"]:
                start = float(message["start"])
                self.finals.append((start, start + float(message["duration"]), arrival))
            elif message["type"] == "Metadata":
                self.metadata = True
        except (ValueError, TypeError, KeyError) as error:
            self.error = self.error or f"a malformed message ({error!r}): {text[:80]!r}"

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


class Client(asyncio.Protocol):
    """One stream: websockets' sans-I/O protocol on a bare transport, paced by timer callbacks.

    A frame costs one timer callback and one write (no task, lock or queue per stream), so the
    generators stay light beside the server they load on the same two cores.
    """

    def __init__(self, url: str, key: str, deflate: bool) -> None:
        loop = asyncio.get_running_loop()
        self.stream = Stream()
        extensions = enable_client_permessage_deflate(None) if deflate else None
        self.protocol = ClientProtocol(parse_uri(url), extensions=extensions)
        self.request = self.protocol.connect()
        self.request.headers["Authorization"] = f"Token {key}"
        self.opened: asyncio.Future[None] = loop.create_future()
        self.closed: asyncio.Future[None] = loop.create_future()
        self.transport: asyncio.Transport | None = None
        self.frames: list[bytes] = []
        self.begin = 0.0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        """Send the upgrade request."""
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self.protocol.send_request(self.request)
        self._flush()

    def data_received(self, data: bytes) -> None:
        """Feed the protocol; the upgrade's answer, then the server's messages."""
        arrival = time.monotonic()
        self.protocol.receive_data(data)
        for event in self.protocol.events_received():
            if isinstance(event, Response) and not self.opened.done():
                if self.protocol.handshake_exc is None:
                    self.opened.set_result(None)
                else:
                    self.opened.set_exception(self.protocol.handshake_exc)
            elif isinstance(event, Frame) and event.opcode is Opcode.TEXT:
                self.stream.message(event.data, arrival)
        self._flush()

    def connection_lost(self, exc: Exception | None) -> None:
        """The server closed: keep its close code."""
        self.protocol.receive_eof()
        self.stream.close_code = self.protocol.close_code
        if not self.opened.done():
            self.opened.set_exception(exc or ConnectionError("closed during the upgrade"))
        if not self.closed.done():
            self.closed.set_result(None)

    def start(self, frames: list[bytes], begin: float) -> None:
        """Send frame j at begin + j * FRAME, then CloseStream."""
        self.frames, self.begin = frames, begin
        asyncio.get_running_loop().call_at(begin, self._send, 0)

    def _send(self, index: int) -> None:
        """Send one frame on its schedule (paced against the clock, never drifting)."""
        due = self.begin + index * FRAME
        self.stream.lag.append(time.monotonic() - due)
        try:
            if index < len(self.frames):
                self.protocol.send_binary(self.frames[index])
            else:
                self.protocol.send_text(json.dumps({"type": "CloseStream"}).encode())
        except InvalidState as error:
            self.stream.error = f"closed while sending: {error}"
            return
        self._flush()
        if index < len(self.frames):
            self.stream.sent.append(time.monotonic())
            assert self.transport is not None
            self.stream.queued = max(self.stream.queued, self.transport.get_write_buffer_size())
            asyncio.get_running_loop().call_at(due + FRAME, self._send, index + 1)

    def _flush(self) -> None:
        """Write what the protocol has to send; half-close when it says so."""
        assert self.transport is not None
        for data in self.protocol.data_to_send():
            if data:
                self.transport.write(data)
            elif self.transport.can_write_eof():
                self.transport.write_eof()


async def _open(url: str, key: str, gate: asyncio.Semaphore, deflate: bool) -> Client | str:
    """One upgraded stream, or why it could not be opened."""
    parsed = parse_uri(url)
    client = Client(url, key, deflate)
    async with gate:
        try:
            async with asyncio.timeout(CONNECT_DEADLINE):
                loop = asyncio.get_running_loop()
                await loop.create_connection(lambda: client, parsed.host, parsed.port)
                await client.opened
        except (InvalidHandshake, OSError, TimeoutError) as error:
            if client.transport is not None:
                client.transport.abort()
            return f"upgrade failed: {error}"
    return client


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


def waited(pid: int | str) -> float:
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
    clients = [c for c in opened if isinstance(c, Client)]
    print(json.dumps({"opened": len(clients)}), flush=True)
    go = await _go_signal()
    cpu, wall, wait = _cpu_seconds(), time.monotonic(), waited("self")
    for index, client in enumerate(clients, start=args.first):
        client.start(voices[index % VARIANTS], go + index / args.total)
    last_frame = go + 1 + args.seconds
    unclosed = [c.closed for c in clients]
    if unclosed:
        await asyncio.wait(unclosed, timeout=last_frame + END_DEADLINE - time.monotonic())
    cpu, wall, wait = _cpu_seconds() - cpu, time.monotonic() - wall, waited("self") - wait
    for client in clients:
        if not client.closed.done():
            client.stream.error = f"not closed within {END_DEADLINE:g} s of its last frame"
    streams = [c.stream for c in clients] + [Stream(error=o) for o in opened if isinstance(o, str)]
    latencies: list[float] = []
    failures: list[str] = []
    lag: list[float] = []
    for stream in streams:
        found, failure = stream.latencies(args.seconds)
        latencies += found
        lag += stream.lag
        if failure is not None:
            failures.append(failure)
    queued = max((s.queued for s in streams), default=0)
    report = {"latencies": latencies, "failures": failures, "lag": lag, "queued": queued}
    print(json.dumps({**report, "cpu": cpu, "wall": wall, "waited": wait}), flush=True)


def main() -> int:
    """Open this process's share of the streams, stream them at the go signal, report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True, help="ws://HOST:PORT of the server")
    parser.add_argument("--api-key", required=True)
    parser.add_argument("--count", type=int, required=True, help="streams in this process")
    parser.add_argument("--first", type=int, required=True, help="index of its first stream")
    parser.add_argument("--total", type=int, required=True, help="streams in all processes")
    parser.add_argument("--seconds", type=int, required=True)
    parser.add_argument("--deflate", action="store_true", help="offer permessage-deflate")
    asyncio.run(generate(parser.parse_args()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
