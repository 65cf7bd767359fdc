"""A hostile HTTP target for tests: misbehaves on demand, on every request but `GET /`."""

from __future__ import annotations

import asyncio
import socket
import struct
import threading
from collections.abc import Iterator
from contextlib import contextmanager

MODES = ("broken-json", "huge-body", "drip", "reset", "html")
HUGE = 50_000_000


async def _read_request(reader: asyncio.StreamReader) -> str:
    """Consume one request (headers and body); return its request line."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    length = next(
        (
            int(line.split(":", 1)[1])
            for line in lines
            if line.lower().startswith("content-length:")
        ),
        0,
    )
    if length:
        await reader.readexactly(length)
    return lines[0]


def _response(status: str, content_type: str, body: bytes) -> bytes:
    return (
        f"HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    ).encode() + body


async def _misbehave(mode: str, writer: asyncio.StreamWriter) -> None:
    """Answer one API request the hostile way."""
    if mode == "broken-json":
        writer.write(_response("200 OK", "application/json", b'{"metadata": {"request_id": '))
    elif mode == "html":
        writer.write(_response("200 OK", "text/html", b"<html><body>Welcome!</body></html>"))
    elif mode == "huge-body":
        writer.write(
            f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
            f"Content-Length: {HUGE}\r\nConnection: close\r\n\r\n".encode()
        )
        chunk = b" " * 1_000_000
        for _ in range(HUGE // len(chunk)):
            writer.write(chunk)
            await writer.drain()
    elif mode == "drip":
        body = b'{"metadata": {}, "results": {"channels": []}}'
        writer.write(
            f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n".encode()
        )
        for byte in body:
            writer.write(bytes([byte]))
            await writer.drain()
            await asyncio.sleep(1.0)  # the misbehaviour itself: one byte a second
    elif mode == "reset":
        sock = writer.get_extra_info("socket")
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        writer.transport.abort()
        return
    await writer.drain()


@contextmanager
def hostile(mode: str) -> Iterator[str]:
    """Serve `mode` on a free loopback port in a background thread; yield the base URL."""
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    holder: dict[str, object] = {}

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            line = await _read_request(reader)
            if line.startswith("GET / "):
                writer.write(_response("404 Not Found", "text/plain", b"no"))
                await writer.drain()
            else:
                await _misbehave(mode, writer)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            if not writer.transport.is_closing():
                writer.close()

    async def start() -> None:
        server = await asyncio.start_server(handle, "127.0.0.1", 0)
        holder["server"] = server
        holder["port"] = server.sockets[0].getsockname()[1]
        ready.set()

    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    asyncio.run_coroutine_threadsafe(start(), loop)
    assert ready.wait(10), "the hostile server did not start"

    async def stop() -> None:
        """Close the server and end every handler still running (a dripping answer), so no
        coroutine is left for the garbage collector to finalise on a closed loop: finalising
        one during compile() trips CPython 3.11.7's AST recursion check (gh-106905)."""
        server = holder["server"]
        assert isinstance(server, asyncio.base_events.Server)
        server.close()
        handlers = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for task in handlers:
            task.cancel()
        await asyncio.gather(*handlers, return_exceptions=True)

    try:
        yield f"http://127.0.0.1:{holder['port']}"
    finally:
        asyncio.run_coroutine_threadsafe(stop(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()
