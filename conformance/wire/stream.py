"""The recording WebSocket client: every frame sent and received is kept, timed and redacted."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import urlencode

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus
from websockets.typing import Subprotocol

from conformance.errors import Skipped, TargetTimeout
from conformance.wire import reproduce
from conformance.wire.codecs import FRAME_SECONDS, StreamAudio
from conformance.wire.cost import RunCost
from conformance.wire.http import BODY_EXCERPT, Exchange, record
from conformance.wire.limits import Gate, current_gate, gave_up, refusal_wait
from conformance.wire.network import Network
from conformance.wire.redact import Redactor

Auth = Literal["header", "subprotocol", "none"] | str
"""How the upgrade carries credentials: the run's Authorization header, the
`Sec-WebSocket-Protocol: token, KEY` pair, nothing, or this literal Authorization value."""

MAX_FRAMES = 120
"""Timeline entries kept as evidence per stream (consecutive audio frames count as one)."""
TEXT_EXCERPT = 600
"""Characters of a text frame kept in the timeline."""


@dataclass
class Message:
    """One frame the server sent, parsed as JSON when it is JSON."""

    at: float
    binary: bool
    text: str
    body: Any = None
    json_ok: bool = False
    size: int = 0
    """The frame's length in bytes (a binary frame's text is its bytes decoded, lossily)."""

    @property
    def type(self) -> Any:
        """The message's `type` field (None when absent or not an object)."""
        return self.body.get("type") if isinstance(self.body, dict) else None


@dataclass
class StreamExchange(Exchange):
    """The upgrade request as an exchange, plus the timeline of the frames that followed."""

    frames: list[dict[str, Any]] = field(default_factory=list)
    dropped: int = 0
    dropped_span: tuple[float, float] = (0.0, 0.0)
    """When the first and the last frame not kept came, for the note that stands for them."""

    def add(self, at: float, entry: dict[str, Any]) -> None:
        """Append a timeline entry, merging consecutive audio frames, within MAX_FRAMES."""
        last = self.frames[-1] if self.frames else None
        same = last is not None and last.get("dir") == entry.get("dir")
        if entry.get("kind") == "audio" and same and last is not None and last["kind"] == "audio":
            last["frames"] += 1
            last["bytes"] += entry["bytes"]
            last["until"] = round(at, 4)
            return
        if entry.get("kind") == "audio":
            entry = {**entry, "frames": 1, "until": round(at, 4)}
        if len(self.frames) >= MAX_FRAMES:
            first = self.dropped_span[0] if self.dropped else round(at, 4)
            self.dropped_span = (first, round(at, 4))
            self.dropped += 1
            return
        self.frames.append({"at": round(at, 4), **entry})

    def evidence(self) -> dict[str, Any]:
        """The exchange's evidence with the frame timeline."""
        out = super().evidence()
        out["frames"] = self.frames + ([self.dropped_note()] if self.dropped else [])
        return out

    def dropped_note(self) -> dict[str, Any]:
        """The timeline entry standing for the frames not kept, timed like any other entry."""
        first, last = self.dropped_span
        return {
            "at": first,
            "until": last,
            "dir": "",
            "kind": "note",
            "text": f"{self.dropped} more frames not kept (the timeline keeps {MAX_FRAMES})",
        }


class Stream:
    """One WebSocket stream to the target: send audio and control messages, collect replies."""

    def __init__(
        self, exchange: StreamExchange, redactor: Redactor, url: str, auth_line: str
    ) -> None:
        self.exchange = exchange
        self.url = url
        self._auth_line = auth_line
        self._redactor = redactor
        self._connection: ClientConnection | None = None
        self._began = time.monotonic()
        self._changed = asyncio.Condition()
        self._reader: asyncio.Task[None] | None = None
        self.close_deadline = 0.0
        """Seconds the suite's own close handshake may take (aclose) before it is abandoned."""
        self.messages: list[Message] = []
        self.closed_at: float | None = None
        self.closed_by_suite = False
        """Whether the suite closed the stream because the target had not (closed_at and
        close_code then describe the suite's own close)."""
        self.shutdown_at: float | None = None
        """When the suite asked the server to finish (empty frame or CloseStream)."""
        self.close_code: int | None = None
        self.close_reason = ""
        self.audio_sent = bytearray()
        self.steps: list[str] = []
        """What the suite did, as lines of the reproducer script."""
        self._slot: asyncio.Semaphore | None = None
        """The run's stream slot this stream holds until it closes."""
        self._cost: RunCost | None = None
        """The run's spending, which the audio this stream sends adds to."""

    @property
    def opened(self) -> bool:
        """Whether the upgrade succeeded."""
        return self._connection is not None

    @property
    def status(self) -> int | None:
        """The HTTP status of the upgrade (101 when it succeeded)."""
        return self.exchange.status

    def now(self) -> float:
        """Seconds since the stream was opened."""
        return time.monotonic() - self._began

    def describe(self) -> str:
        """One line naming the stream."""
        return f"stream {self.exchange.url}"

    # ----------------------------------------------------------------------------- sending

    async def send_audio(self, audio: StreamAudio, pace: float, seconds: float = 0.0) -> None:
        """Send audio (all of it, or its first `seconds`) in 100 ms frames at `pace` x real time;
        audio the run's budget cannot afford is not sent: the stream is closed and the case
        skips."""
        frames = audio.frames()
        if seconds:
            frames = frames[: max(1, round(seconds / FRAME_SECONDS))]
        left = sum(map(len, frames)) / audio.bytes_per_second
        cost = self._cost if self.opened else None
        if cost is not None:
            try:
                cost.reserve(left)
            except Skipped:
                await self.aclose()
                raise
        start = time.monotonic()
        self.steps.append(
            f"    await send_audio(ws, {audio.name!r}, {audio.encoding!r}, "
            f"{audio.sample_rate}, {len(frames)})"
        )
        try:
            for index, frame in enumerate(frames):
                delay = start + index * FRAME_SECONDS / pace - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)  # pacing the audio, not waiting for an event
                entry = {"dir": "sent", "kind": "audio", "bytes": len(frame)}
                if not await self._send(frame, entry):
                    return
                self.audio_sent += frame
                seconds = len(frame) / audio.bytes_per_second
                left -= seconds
                if cost is not None:
                    cost.streamed(seconds)
        finally:
            if cost is not None:
                cost.release(left)

    async def send_json(self, message: dict[str, Any]) -> bool:
        """Send a control message as a text frame; False when the stream is already closed."""
        text = json.dumps(message)
        self.steps.append(f"    await ws.send({text!r})")
        return await self._send(text, {"dir": "sent", "kind": "text", "text": text})

    async def send_empty(self) -> bool:
        """Send the empty binary frame that asks the server to finish."""
        self.steps.append('    await ws.send(b"")')
        return await self._send(b"", {"dir": "sent", "kind": "binary", "bytes": 0})

    async def send_text(self, text: str) -> bool:
        """Send a text frame as it is (JSON or not: a bad input is a probe of its own)."""
        self.steps.append(f"    await ws.send({text!r})")
        return await self._send(text, {"dir": "sent", "kind": "text", "text": text[:200]})

    async def send_bytes(self, data: bytes) -> bool:
        """Send a binary frame that is not audio of the stream (a probe of what a server does)."""
        self.steps.append(f"    await ws.send({data!r})")
        return await self._send(data, {"dir": "sent", "kind": "binary", "bytes": len(data)})

    def note_idle(self, seconds: float) -> None:
        """Record, for the reproducer, that the suite stayed silent for a while."""
        self.steps.append(f"    await asyncio.sleep({seconds:.2f})")

    async def _send(self, data: str | bytes, entry: dict[str, Any]) -> bool:
        if self._connection is None or self.closed_at is not None:
            return False
        try:
            await self._connection.send(data)
        except ConnectionClosed:
            return False
        self.exchange.add(self.now(), entry)
        return True

    # ----------------------------------------------------------------------------- receiving

    async def _read(self) -> None:
        """Keep every frame the server sends until it closes."""
        assert self._connection is not None
        try:
            async for data in self._connection:
                await self._received(data)
        except ConnectionClosed:
            pass
        finally:
            self._free()
            self.closed_at = self.now()
            self.close_code = self._connection.close_code
            self.close_reason = self._redactor.text(self._connection.close_reason or "")
            self.exchange.add(
                self.closed_at,
                {"dir": "received", "kind": "close", "code": self.close_code,
                 "reason": self.close_reason},
            )  # fmt: skip
            async with self._changed:
                self._changed.notify_all()

    async def _received(self, data: str | bytes) -> None:
        binary = isinstance(data, bytes)
        text = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
        message = Message(self.now(), binary, text, size=len(data))
        try:
            message.body = json.loads(text)
            message.json_ok = True
        except ValueError:
            pass
        self.messages.append(message)
        entry: dict[str, Any]
        if binary and not message.json_ok:  # audio (speak): its size, not its bytes as text
            entry = {"dir": "received", "kind": "audio", "bytes": len(data)}
        else:
            shown = self._redactor.text(text[:TEXT_EXCERPT])
            if len(text) > TEXT_EXCERPT:
                shown += f"... ({len(text) - TEXT_EXCERPT} more characters)"
            entry = {"dir": "received", "kind": "binary" if binary else "text", "text": shown}
        self.exchange.add(message.at, entry)
        async with self._changed:
            self._changed.notify_all()

    async def wait_for(self, done: Callable[[], bool], deadline: float) -> bool:
        """Wait until `done()` holds or the stream closes, at most `deadline` seconds."""
        try:
            async with asyncio.timeout(deadline), self._changed:
                await self._changed.wait_for(lambda: done() or self.closed_at is not None)
        except TimeoutError:
            return False
        return done()

    async def wait_closed(self, deadline: float) -> bool:
        """Wait until the server closes the stream, at most `deadline` seconds."""
        return await self.wait_for(lambda: self.closed_at is not None, deadline)

    def of_type(self, kind: str) -> list[Message]:
        """The received messages whose type is `kind`."""
        return [m for m in self.messages if m.type == kind]

    async def aclose(self) -> None:
        """Close from our side if the server has not (used when a case is done with a stream)."""
        if self._connection is not None and self.closed_at is None:
            self.closed_by_suite = True
            try:
                await asyncio.wait_for(self._connection.close(), self.close_deadline)
            except TimeoutError:
                pass
        if self._reader is not None:
            self._reader.cancel()
        self._free()

    def _free(self) -> None:
        """Give the stream slot back (once): a closed stream no longer counts against the cap."""
        if self._slot is not None:
            self._slot.release()
            self._slot = None

    def reproducer(self) -> str:
        """A Python script that replays this stream against the target."""
        return reproduce.stream_script(self.url, self._auth_line, self.steps)


async def open_stream(
    ws_target: str,
    path: str,
    params: Sequence[tuple[str, str]],
    *,
    authorization: str,
    api_key: str,
    auth: Auth,
    redactor: Redactor,
    deadline: float,
    close_deadline: float,
) -> Stream:
    """Open a stream and record the upgrade; a refused upgrade is a stream that never opened."""
    url = ws_target + path + ("?" + urlencode(list(params)) if params else "")
    gate = current_gate.get()
    network = gate.network if gate is not None else Network()
    headers: dict[str, str] = dict(network.headers)
    subprotocols: list[Subprotocol] | None = None
    auth_line = "additional_headers={}"
    if auth == "header":
        headers["Authorization"] = authorization
        scheme = authorization.split(" ", 1)[0]
        auth_line = (
            f'additional_headers={{"Authorization": "{scheme} " + os.environ["DEEPGRAM_API_KEY"]}}'
        )
    elif auth == "subprotocol":
        subprotocols = [Subprotocol("token"), Subprotocol(api_key)]
        headers["Sec-WebSocket-Protocol"] = f"token, {api_key}"
        auth_line = 'subprotocols=["token", os.environ["DEEPGRAM_API_KEY"]]'
    elif auth != "none":
        headers["Authorization"] = auth
        auth_line = f"additional_headers={{'Authorization': {redactor.text(auth)!r}}}"
    exchange = StreamExchange(
        method="GET",
        url=redactor.text(url),
        request_headers={k: redactor.header(k, v) for k, v in headers.items()},
        request_body="",
    )
    stream = Stream(exchange, redactor, redactor.text(url), auth_line)
    stream.close_deadline = close_deadline
    stream._cost = gate.cost if gate is not None else None
    refusals, began = 0, time.monotonic()
    while True:
        if stream._cost is not None:  # each upgrade is billed; one past the budget is not sent
            stream._cost.request("streams")
        if refusals == 0:
            record(exchange)
        if gate is not None:  # held until the stream closes; the case deadline bounds the wait
            await gate.slots["streams"].acquire()
            stream._slot = gate.slots["streams"]
        try:
            if gate is not None:
                await gate.pacer.turn()
            connection = await connect(
                url,
                additional_headers={
                    k: v for k, v in headers.items() if k != "Sec-WebSocket-Protocol"
                },
                subprotocols=subprotocols,
                proxy=network.proxy or True,
                ssl=network.ssl_context() if url.startswith("wss:") else None,
                open_timeout=deadline,
                ping_interval=None,
                compression=None,
                max_size=None,
            )
        except InvalidStatus as exc:
            stream._free()
            _refused(exchange, exc, redactor)
            if await _outwait(gate, exchange, refusals, time.monotonic() - began):
                refusals += 1
                continue
            return stream
        except (InvalidHandshake, OSError, TimeoutError) as exc:
            stream._free()
            exchange.error = f"upgrade failed: {redactor.text(str(exc)) or type(exc).__name__}"
            return stream
        except asyncio.CancelledError:  # the case ended while the upgrade was under way
            stream._free()
            raise
        break
    exchange.elapsed = stream.now()
    exchange.status = 101
    assert connection.response is not None
    exchange.response_headers = {
        k.lower(): redactor.header(k, v) for k, v in connection.response.headers.raw_items()
    }
    stream._connection = connection
    stream._began = time.monotonic()
    stream._reader = asyncio.ensure_future(stream._read())
    return stream


def _refused(exchange: StreamExchange, refusal: InvalidStatus, redactor: Redactor) -> None:
    """Record the HTTP answer that refused the upgrade."""
    response = refusal.response
    exchange.status = response.status_code
    exchange.response_headers = {
        k.lower(): redactor.header(k, v) for k, v in response.headers.raw_items()
    }
    exchange.content = bytes(response.body or b"")
    exchange.response_body = redactor.text(
        exchange.content[:BODY_EXCERPT].decode("utf-8", "replace")
    )


async def _outwait(
    gate: Gate | None, exchange: StreamExchange, refusals: int, spent: float
) -> bool:
    """After a refused upgrade: True once the back-off a rate-limit refusal asks for is waited
    out (ask again), False for any other refusal (the cases judge it); a target that keeps
    refusing past the run's budget ends the case as a timeout, never as a refusal."""
    status = exchange.status or 0
    wait = refusal_wait(status, exchange.response_headers, refusals)
    if gate is None or wait is None:
        return False
    gate.rate_limited.met("streams")
    if spent + wait > gate.budget:
        exchange.error = gave_up(refusals + 1, status, spent)
        raise TargetTimeout(exchange.describe())
    await asyncio.sleep(wait)  # the back-off is the waiting itself
    return True
