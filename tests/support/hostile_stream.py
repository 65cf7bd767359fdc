"""A hostile streaming target for tests: a WebSocket proxy in front of a real reference server
that relays every stream both ways and breaks one thing on the way back to the client."""

from __future__ import annotations

import asyncio
import json
import threading
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress

from websockets.asyncio.client import ClientConnection, connect
from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.datastructures import Headers
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.http11 import Request, Response
from websockets.typing import Data, Subprotocol

MODES = (
    "never-closes", "binary", "invalid-json", "abort", "finalize-close", "metadata-null",
    "channel-null", "chatty",
)  # fmt: skip
"""never-closes: relays everything but the server's close, and never closes of its own accord;
binary: each text message arrives as a binary frame; invalid-json: each text message arrives
quoted like a Python dict, not JSON; abort: drops the TCP connection without a close frame
(1006) once the client has sent ABORT_AFTER audio frames; finalize-close: closes the stream
(1000) CLOSE_AFTER_FLUSH after relaying a Results with from_finalize true; metadata-null and
channel-null: each Results arrives with that field null; chatty: relays everything and also
answers every audio frame at once with CHATTER interim Results of its own, so a full stream's
timeline outgrows the suite's MAX_FRAMES."""
ABORT_AFTER = 20
"""2 s of audio (the suite sends 100 ms frames): mid-stream for the full clips, while the short
streams of the control cases (KeepAlive, Finalize, idle) end before it."""
CLOSE_AFTER_FLUSH = 0.3
"""Seconds the finalize-close target lets pass after the flush before it closes the stream."""
CHATTER = 2
"""Results the chatty target sends per audio frame: the suite's 6.5 s clip (65 frames) then gets
130 of them, over MAX_FRAMES (120) however the client's audio frames merge between them."""
NULLED = {"metadata-null": "metadata", "channel-null": "channel"}
"""Mode -> the Results field it sets to null."""
DEADLINE = 10.0
"""Seconds the proxy gives the reference to open a stream, and itself to start and stop."""


async def connect_upstream(url: str, authorization: str | None, offered: str) -> ClientConnection:
    """Open the same stream upstream as a client asked for: its credentials, its subprotocols."""
    protocols = [Subprotocol(p.strip()) for p in offered.split(",") if p.strip()]
    return await connect(
        url,
        additional_headers={"Authorization": authorization} if authorization else {},
        subprotocols=protocols or None,
        open_timeout=DEADLINE,
        ping_interval=None,
        compression=None,
        max_size=None,
    )


class StreamProxy:
    """Opens the same stream upstream for every client, then relays it the way the mode says."""

    def __init__(self, mode: str, upstream: str) -> None:
        assert mode in MODES, mode
        self.mode = mode
        self.upstream = upstream
        self.opened: dict[ServerConnection, ClientConnection] = {}

    async def process_request(
        self, connection: ServerConnection, request: Request
    ) -> Response | None:
        """Open the stream upstream first: a refusal there is this upgrade's refusal too."""
        try:
            upstream = await connect_upstream(
                self.upstream + request.path,
                request.headers.get("Authorization"),
                request.headers.get("Sec-WebSocket-Protocol", ""),
            )
        except InvalidStatus as exc:
            refused = exc.response
            headers = Headers([("Content-Type", refused.headers.get("Content-Type", "text/plain"))])
            headers.update(_named(refused.headers))
            return Response(refused.status_code, refused.reason_phrase, headers, refused.body)
        self.opened[connection] = upstream
        return None

    def process_response(
        self, connection: ServerConnection, request: Request, response: Response
    ) -> None:
        """The reference's dg- headers on the 101 too: the proxy breaks only what its mode says."""
        upstream = self.opened.get(connection)
        if upstream is not None and upstream.response is not None:
            response.headers.update(_named(upstream.response.headers))

    def select_subprotocol(
        self, connection: ServerConnection, offered: Sequence[Subprotocol]
    ) -> Subprotocol | None:
        """The subprotocol the reference chose."""
        return self.opened[connection].subprotocol

    async def handle(self, connection: ServerConnection) -> None:
        """Relay both ways until either side closes."""
        upstream = self.opened.pop(connection)
        await asyncio.gather(self._up(connection, upstream), self._down(connection, upstream))

    async def _up(self, connection: ServerConnection, upstream: ClientConnection) -> None:
        """Client to reference, untouched; the client's close closes the upstream stream. Once
        the reference has ended the stream, the client's frames are still read (and dropped):
        left unread, they stop the connection reading, and the client's close is never seen."""
        frames = 0
        request_id = str(uuid.uuid4())
        with suppress(ConnectionClosed):
            async for message in connection:
                with suppress(ConnectionClosed):
                    await upstream.send(message)
                frames += isinstance(message, bytes) and len(message) > 0
                if self.mode == "chatty" and isinstance(message, bytes) and message:
                    with suppress(ConnectionClosed):  # closing: read on until the client's close
                        for _ in range(CHATTER):
                            await connection.send(json.dumps(_chatter(frames, request_id)))
                if self.mode == "abort" and frames == ABORT_AFTER:
                    connection.transport.abort()
                    break
        await upstream.close()

    async def _down(self, connection: ServerConnection, upstream: ClientConnection) -> None:
        """Reference to client, broken as the mode says."""
        with suppress(ConnectionClosed):
            async for message in upstream:
                await self._relay(connection, message)
                if self.mode == "finalize-close" and _flush(message):
                    await asyncio.sleep(CLOSE_AFTER_FLUSH)  # the target's own delay, not a wait
                    break
        if self.mode == "never-closes":
            await connection.wait_closed()
            return
        code = upstream.close_code if upstream.close_code not in (None, 1005, 1006) else 1000
        await connection.close(code or 1000, upstream.close_reason or "")

    async def _relay(self, connection: ServerConnection, message: Data) -> None:
        """Send one message on, as the mode breaks it."""
        if isinstance(message, str) and self.mode == "binary":
            message = message.encode()
        elif isinstance(message, str) and self.mode == "invalid-json":
            message = repr(json.loads(message))
        elif isinstance(message, str) and self.mode in NULLED:
            body = json.loads(message)
            if body.get("type") == "Results":
                body[NULLED[self.mode]] = None
            message = json.dumps(body)
        await connection.send(message)


def _named(headers: Headers) -> list[tuple[str, str]]:
    """The upgrade answer's dg- headers (its request id, its error), to relay unchanged."""
    return [(k, v) for k, v in headers.raw_items() if k.lower().startswith("dg-")]


def _chatter(frame: int, request_id: str) -> dict[str, object]:
    """The chatty target's own interim Results for the `frame`th 100 ms audio frame: valid
    against the Results schema, with no words and its own request id."""
    return {
        "type": "Results",
        "channel_index": [0, 1],
        "duration": 0.1,
        "start": round((frame - 1) * 0.1, 1),
        "is_final": False,
        "speech_final": False,
        "from_finalize": False,
        "channel": {"alternatives": [{"transcript": "", "confidence": 0.0, "words": []}]},
        "metadata": {"request_id": request_id},
    }


def _flush(message: Data) -> bool:
    """Whether the reference's message is the Results that answers Finalize."""
    return isinstance(message, str) and json.loads(message).get("from_finalize") is True


@contextmanager
def hostile_stream(mode: str, upstream: str) -> Iterator[str]:
    """Serve the proxy for `mode` in front of the WebSocket base `upstream` on a free loopback
    port, in a background thread; yield its ws:// base URL."""
    proxy = StreamProxy(mode, upstream)
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()

    async def start() -> Server:
        return await serve(
            proxy.handle,
            "127.0.0.1",
            0,
            process_request=proxy.process_request,
            process_response=proxy.process_response,
            select_subprotocol=proxy.select_subprotocol,
            ping_interval=None,
            compression=None,
            max_size=None,
        )

    async def stop(server: Server) -> None:
        """Drop what the run left open (never-closes keeps its streams; a client gone while
        its frames were unread is never noticed) rather than wait out closing handshakes."""
        for connection in server.connections:
            connection.transport.abort()
        server.close()
        await asyncio.wait_for(server.wait_closed(), DEADLINE)

    server = asyncio.run_coroutine_threadsafe(start(), loop).result(DEADLINE)
    try:
        port = next(iter(server.sockets)).getsockname()[1]
        yield f"ws://127.0.0.1:{port}"
    finally:
        with suppress(TimeoutError):
            asyncio.run_coroutine_threadsafe(stop(server), loop).result(DEADLINE * 2)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(DEADLINE)
