"""One live stream of WebSocket /v1/listen: transcription, control messages, shutdown and idle
timeout.

One coroutine per connection and work proportional to each frame: no thread per stream.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, replace
from typing import Any

from starlette.websockets import WebSocket
from websockets.frames import CloseCode

from ..model import response
from ..model.audio import AudioError, decode
from ..model.context import Context
from ..model.faults import Fault
from .audio import CODED_WIDTHS, COMPRESSED, Decoder, may_be_wav, wav_format
from .callbacks import Sink
from .idle import IdleDeadline
from .lanes import Lane
from .options import CONTAINER, StreamOptions, rest_settings
from .pressure import counted, drops_metadata, stalls

IDLE_REASON = "The server did not receive audio data or a text message within the timeout window."
"""The close reason of an idle stream (1011), worded like Deepgram's NET-0001."""


@dataclass
class _Ending:
    """How a stream ends: shutdown or idle timeout (a dropped callback closes it directly)."""

    code: CloseCode
    reason: str


class Session:
    """One live stream: decodes audio, emits Results per lane, ends with Metadata."""

    def __init__(
        self, ctx: Context, options: StreamOptions, client: WebSocket, sink: Sink, request_id: str
    ) -> None:
        self.ctx = ctx
        self.settings = ctx.settings
        self.options = options
        self.client = client
        self.sink = sink
        self.rest = rest_settings(self.settings)
        self.request_id = request_id
        self.hasher = hashlib.sha256()
        self.received = 0
        self.decoder = Decoder(options.encoding, options.channels) if options.decodable else None
        self.lanes = self._lanes()
        self.samples = 0
        self.held: list[dict[str, Any]] = []
        self.pending: bytearray | None = (
            bytearray()
            if options.encoding in COMPRESSED
            and not self.settings.has(Fault.STREAM_COMPRESSED_IGNORED)
            else None
        )
        """Compressed audio kept whole until the upload ends, then decoded (libsndfile reads
        a container, not a stream of its pieces)."""
        self._decoded = False
        """Results kept back until the upload ends (the stream-half-duplex fault)."""
        self._head: bytes | None = b"" if options.encoding == CONTAINER else None
        """The first bytes of a stream without `encoding`, until its WAV header is read."""

    def _lanes(self) -> list[Lane]:
        """One lane per channel with multichannel, else one for the mixed audio."""
        options = self.options
        separate = options.multichannel and not self.settings.has(Fault.STREAM_CHANNELS_IGNORED)
        lanes = options.channels if separate else 1
        return [Lane(i, lanes, options, self.settings) for i in range(lanes)]

    def _sniff(self, data: bytes) -> bytes:
        """Audio in a container: once a 16-bit PCM WAV header is read, what follows it is
        decoded like linear16 (as clients stream WAV files without `encoding`)."""
        head = (self._head or b"") + data
        found = wav_format(head)
        if found is None:
            self._head = head if may_be_wav(head) else None
            if self._head is None and self._containers():
                self.pending = bytearray(head)  # not WAV: another container, read at the end
            return b""
        rate, channels, offset = found
        self._head = None
        self.options = replace(
            self.options, encoding="linear16", sample_rate=rate, channels=channels
        )
        self.decoder = Decoder("linear16", channels)
        self.lanes = self._lanes()
        return head[offset:]

    def _request_id(self) -> str:
        """The request id of the next message (a new one each time under a fault)."""
        if self.settings.has(Fault.STREAM_REQUEST_ID_CHANGES):
            return response.request_id(self.rest)
        return self.request_id

    async def emit(self, message: dict[str, Any]) -> None:
        """Send one message to the client, or to the callback that replaces it."""
        if message["type"] == "Metadata" and self.settings.has(Fault.STREAM_CALLBACK_NO_METADATA):
            if self.options.callback is not None:
                return
        extra = self.options.extra and not self.settings.has(Fault.STREAM_EXTRA_DROPPED)
        if extra and message["type"] in ("Metadata", "Results"):
            where = message if message["type"] == "Metadata" else message["metadata"]
            where["extra"] = dict(self.options.extra)
        await self.sink.send(message)

    async def results(self, found: list[dict[str, Any]]) -> None:
        """Tag Results with this stream's request id and send them (with the events among
        them)."""
        for message in found:
            if message["type"] != "Results":
                await self.emit(message)
                continue
            message["metadata"] = {
                "request_id": self._request_id(),
                "model_info": dict(response.MODEL_INFO),
                "model_uuid": response.MODEL_UUID,
            }
            await self.emit(message)

    async def audio(self, data: bytes) -> None:
        """Hash and count the bytes; decode and analyse them when the encoding is readable."""
        self.hasher.update(data)
        self.received += len(data)
        if self.pending is not None:
            self.pending += data
            return
        if self._head is not None:
            data = self._sniff(data)
        if self.decoder is None or not data:
            return
        samples = self.decoder.feed(data)
        self.samples += len(samples)
        found: list[dict[str, Any]] = []
        if len(self.lanes) > 1:
            for lane in self.lanes:
                found += lane.feed(samples[:, lane.index])
        else:
            mixed = samples[:, 0] if samples.shape[1] == 1 else samples.mean(axis=1)
            found += self.lanes[0].feed(mixed)
        if found and (self.settings.has(Fault.STREAM_HALF_DUPLEX) or stalls(self)):
            self.held += found  # sent only once the upload has ended (see shutdown)
        elif found:
            await self.results(found)

    async def flush(self, finalize: bool) -> None:
        """Send every lane's pending audio as final Results (Finalize, or before Metadata)."""
        found: list[dict[str, Any]] = []
        for lane in self.lanes:
            found += lane.flush(finalize=finalize)
        await self.results(found)

    def _containers(self) -> bool:
        """Whether compressed containers are decoded (not under stream-containers-ignored)."""
        return not self.settings.has(Fault.STREAM_CONTAINERS_IGNORED)

    async def _decode_pending(self) -> None:
        """The compressed audio kept whole, decoded now and sent as Results."""
        data, self.pending = self.pending, None
        if not data:
            return
        try:
            decoded = decode(bytes(data))
        except AudioError:
            return
        self.options = replace(self.options, sample_rate=decoded.rate, channels=decoded.channels)
        self.lanes = self._lanes()
        self.samples, self._decoded = int(decoded.samples.shape[0]), True
        step = max(1, decoded.rate // 10)  # fed as a client's 100 ms frames would have been
        found: list[dict[str, Any]] = []
        for lane in self.lanes:
            signal = decoded.channel(lane.index) if len(self.lanes) > 1 else decoded.mixed()
            for start in range(0, len(signal), step):
                found += lane.feed(signal[start : start + step])
        await self.results(found)

    def duration(self) -> float:
        """Seconds of audio received: from the samples decoded, else from the byte count of a
        fixed-rate encoding; 0 for a variable-rate one (flac, opus, speex, AMR, containers)."""
        options = self.options
        if self.decoder is not None or self._decoded:
            return round(self.samples / options.sample_rate, 6)
        width = CODED_WIDTHS.get(options.encoding)
        if width is None:
            return 0.0
        return round(self.received / (width * options.channels * options.sample_rate), 6)

    def metadata(self, complete: bool) -> dict[str, Any]:
        """The Metadata message that ends the stream."""
        sha256 = self.hasher.hexdigest() if complete else "incomplete"
        if complete and self.settings.has(Fault.STREAM_WRONG_SHA256):
            sha256 = hashlib.sha256(b"\0").hexdigest()
        duration = self.duration()
        if self.settings.has(Fault.STREAM_WRONG_DURATION):
            duration = round(duration * 1.5 + 1.0, 6)
        message = {
            "type": "Metadata",
            "transaction_key": "deprecated",
            "request_id": self._request_id(),
            "sha256": sha256,
            "created": response.created(self.ctx.clock(), self.rest),
            "duration": duration,
            "channels": self.options.channels,
            "models": [response.MODEL_UUID],
            "model_info": {response.MODEL_UUID: dict(response.MODEL_INFO)},
        }
        if complete and not self.received and self.settings.imitates("zero-channels-empty-stream"):
            # the Close Stream page's example of a stream without audio: no channel, no model
            message.update(duration=0.0, channels=0)
            del message["models"], message["model_info"]
        return message

    async def shutdown(self) -> _Ending:
        """The documented end: remaining finals, one Metadata, then a normal close."""
        settings = self.settings
        held, self.held = self.held, []
        await self.results(held)
        await self._decode_pending()
        if settings.has(Fault.STREAM_METADATA_BEFORE_FINAL):
            await self.emit(self.metadata(complete=True))
            await self.flush(finalize=False)
        else:
            await self.flush(finalize=False)
            if not (settings.has(Fault.STREAM_NO_METADATA) or drops_metadata(settings)):
                await self.emit(self.metadata(complete=True))
        if settings.has(Fault.STREAM_CLOSE_1011):
            return _Ending(CloseCode.INTERNAL_ERROR, "")
        return _Ending(CloseCode.NORMAL_CLOSURE, "")

    async def control(self, text: str) -> _Ending | None:
        """A text frame: KeepAlive, Finalize or CloseStream (anything else is ignored)."""
        try:
            kind = json.loads(text).get("type")
        except (ValueError, AttributeError):
            return None
        if kind == "Finalize" and not self.settings.has(Fault.STREAM_FINALIZE_IGNORED):
            await self.flush(finalize=True)
            if self.settings.has(Fault.STREAM_FINALIZE_CLOSES):
                return _Ending(CloseCode.NORMAL_CLOSURE, "")
        elif kind == "CloseStream" and not self.settings.has(Fault.STREAM_CLOSESTREAM_IGNORED):
            return await self.shutdown()
        return None

    async def run(self) -> None:
        """Receive frames until shutdown, idle timeout, disconnect or a dropped callback."""
        idle = IdleDeadline(self.settings.stream_idle_timeout)
        if self.settings.has(Fault.STREAM_UNKNOWN_MESSAGE):
            await self.emit({"type": "Welcome", "request_id": self.request_id})
        try:
            with counted():  # how many streams are open, for the load-only faults
                ending = await self._serve(idle)
        finally:
            idle.close()
        await self.sink.close()
        if ending is not None:
            await self.client.close(ending.code, ending.reason)

    async def _serve(self, idle: IdleDeadline) -> _Ending | None:
        """Handle frames until the stream ends; how it ends (None: the client disconnected)."""
        ending: _Ending | None = None
        while ending is None:
            message = await idle.receive(self.client.receive)
            if message is None:
                if self.settings.has(Fault.STREAM_NO_IDLE_TIMEOUT):
                    idle.touch()
                    continue
                await self.emit(self.metadata(complete=False))
                return _Ending(CloseCode.INTERNAL_ERROR, IDLE_REASON)
            if message["type"] == "websocket.disconnect":
                return None
            data, text = message.get("bytes"), message.get("text")
            keepalive = text is not None and '"KeepAlive"' in text
            if not (keepalive and self.settings.has(Fault.STREAM_KEEPALIVE_IGNORED)):
                idle.touch()
            if data is not None:
                if data or self.settings.has(Fault.STREAM_EMPTY_FRAME_IGNORED):
                    await self.audio(data)
                else:
                    ending = await self.shutdown()
            elif text is not None:
                ending = await self.control(text)
        return ending
