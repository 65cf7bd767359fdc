"""The streaming handshake: credentials (header or subprotocol) and the query parameters."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

import httpx
from starlette.websockets import WebSocket

from ..model.addresses import ALLOWED_PORTS, DEFAULT_PORTS, is_public_address
from ..model.auth import identify
from ..model.context import Context
from ..model.errors import ApiError, bad_request, unauthorized
from ..model.faults import Fault
from ..model.params import ListenOptions, parse_listen_options
from ..model.settings import Settings
from .audio import DECODABLE

ENCODINGS = frozenset(
    {"linear16", "linear32", "flac", "alaw", "mulaw", "amr-nb", "amr-wb", "opus", "ogg-opus",
     "speex", "g729"}
)  # fmt: skip
"""The documented streaming encodings (AsyncAPI ListenV1Encoding)."""
CONTAINER = "container"
"""No encoding given: audio in a container, which this server hashes and counts only."""
FIXED_RATES = {"amr-nb": 8000, "amr-wb": 16000}
"""Encodings whose sample rate the documents fix."""
MAX_CHANNELS = 16
_INTEGER = re.compile(r"[0-9]{1,6}")


@dataclass(frozen=True)
class StreamOptions:
    """Everything a stream needs to know from its handshake, validated."""

    listen: ListenOptions
    encoding: str
    sample_rate: int
    channels: int
    multichannel: bool
    interim_results: bool
    endpointing: bool
    """Whether finals cut at a pause say speech_final true (off only with endpointing=false)."""
    endpointing_ms: int | None
    """The silence, in milliseconds, that makes an endpoint when endpointing gives it."""
    utterance_end_ms: int | None
    """The gap after the last word that brings an UtteranceEnd (with interim results only)."""
    vad_events: bool
    extra: tuple[tuple[str, str], ...]
    callback: str | None
    callback_method: str
    key_id: str

    @property
    def decodable(self) -> bool:
        """Whether this server reads the samples (otherwise it only hashes and counts bytes)."""
        return self.encoding in DECODABLE


def _last(query: Sequence[tuple[str, str]], name: str) -> str | None:
    """The last value of a parameter, if given."""
    values = [v for k, v in query if k == name]
    return values[-1] if values else None


def _integer(value: str | None, name: str, default: int) -> int:
    """A positive integer parameter, or 400."""
    if value is None:
        return default
    if not _INTEGER.fullmatch(value) or int(value) < 1:
        raise bad_request(f"Invalid value for `{name}`: {value!r} (expected a positive integer).")
    return int(value)


def _boolean(value: str | None, name: str) -> bool:
    """true or false (default false), or 400."""
    if value is None:
        return False
    if value.lower() not in ("true", "false"):
        raise bad_request(f"Invalid value for `{name}`: {value!r} (expected true or false).")
    return value.lower() == "true"


def _endpointing(value: str | None) -> tuple[bool, int | None]:
    """endpointing: false turns it off; true or milliseconds of silence keep it on; else 400.
    The milliseconds too when given (ignored under stream-endpointing-ms-ignored)."""
    if value is None or value.lower() == "true":
        return True, None
    if _INTEGER.fullmatch(value):
        return True, int(value)
    if value.lower() == "false":
        return False, None
    raise bad_request(f"Invalid value for `endpointing`: {value!r} (false, or milliseconds).")


def _audio_format(query: Sequence[tuple[str, str]], settings: Settings) -> tuple[str, int, int]:
    """encoding, sample_rate and channels, with the documented constraints."""
    encoding = _last(query, "encoding")
    if encoding is None:
        return CONTAINER, 0, _integer(_last(query, "channels"), "channels", 1)
    if (
        encoding not in ENCODINGS
        or (encoding == "mulaw" and settings.has(Fault.STREAM_MULAW_REJECTED))
        or (encoding == "speex" and settings.has(Fault.STREAM_REFUSES_SPEEX))
    ):
        raise bad_request(f"Unsupported `encoding` {encoding!r}.")
    rate_value = _last(query, "sample_rate")
    if rate_value is None and not settings.has(Fault.STREAM_SAMPLE_RATE_OPTIONAL):
        raise bad_request("`sample_rate` is required when `encoding` is given.")
    rate = _integer(rate_value, "sample_rate", 16000)
    fixed = FIXED_RATES.get(encoding)
    if fixed and rate != fixed and not settings.has(Fault.STREAM_AMR_RATE_UNCHECKED):
        raise bad_request(f"`{encoding}` audio must have `sample_rate={fixed}`, not {rate}.")
    channels = _integer(_last(query, "channels"), "channels", 1)
    if channels > MAX_CHANNELS:
        raise bad_request(f"At most {MAX_CHANNELS} channels are supported, not {channels}.")
    return encoding, rate, channels


def _extra(query: Sequence[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
    """extra=KEY:VALUE pairs split at the first colon; a repeated key keeps its last value."""
    pairs: dict[str, str] = {}
    for name, value in query:
        if name == "extra" and ":" in value:
            key, _, rest = value.partition(":")
            pairs.pop(key, None)
            pairs[key] = rest
    return tuple(pairs.items())


def _credentials(websocket: WebSocket, ctx: Context) -> tuple[str | None, str | None]:
    """The key id of the caller and the subprotocol to answer with; 401 (403 under
    stream-auth-403) when nobody is proven."""
    try:
        return _proven(websocket, ctx)
    except ApiError as error:
        if error.status == 401 and ctx.settings.has(Fault.STREAM_AUTH_403):
            raise ApiError(403, error.message, "FORBIDDEN") from None
        raise


def _proven(websocket: WebSocket, ctx: Context) -> tuple[str | None, str | None]:
    """The key id and subprotocol from the header or the subprotocol pair, or 401."""
    settings = ctx.settings
    header = websocket.headers.get("authorization")
    protocols = [p.strip() for p in websocket.headers.get("sec-websocket-protocol", "").split(",")]
    offered = len(protocols) == 2 and protocols[0].lower() in ("token", "bearer")
    if header is not None:
        if settings.has(Fault.STREAM_HEADER_AUTH_REJECTED):
            raise unauthorized()
        return _identify(ctx, header), None
    if offered:
        if settings.has(Fault.STREAM_SUBPROTOCOL_AUTH_REJECTED):
            raise unauthorized()
        return _identify(ctx, f"{protocols[0]} {protocols[1]}"), protocols[0]
    if settings.has(Fault.STREAM_NO_AUTH):
        return None, None
    raise unauthorized()


def rest_settings(settings: Settings) -> Settings:
    """The settings without fault switches, for the REST rules a stream reuses (credentials,
    parameters, ids): REST faults break REST requirements only, stream-* faults the stream's."""
    return replace(settings, faults=frozenset())


def _identify(ctx: Context, authorization: str) -> str | None:
    """Authenticate like the REST endpoints, without their faults (any credential passes under
    stream-no-auth); the key id of the caller."""
    rest = rest_settings(ctx.settings)
    try:
        caller = identify(authorization, rest, ctx.tokens, ctx.clock(), ctx.keys)
    except ApiError:
        if not ctx.settings.has(Fault.STREAM_NO_AUTH):
            raise
        return None
    return caller.key_id or ctx.settings.api_key_id


async def check_callback(url: str, settings: Settings) -> httpx.URL:
    """A streaming callback URL: http, https, ws or wss on an allowed port, public unless
    private callbacks are allowed; or 400."""
    try:
        parsed = httpx.URL(url)
        port = DEFAULT_PORTS.get(parsed.scheme, 0) if parsed.port is None else parsed.port
    except (httpx.InvalidURL, ValueError):
        raise bad_request("The callback URL is not a valid URL.") from None
    if parsed.scheme not in DEFAULT_PORTS or not parsed.host:
        raise bad_request("The callback URL must be an absolute http, https, ws or wss URL.")
    if parsed.scheme == "wss" and settings.has(Fault.STREAM_CALLBACK_WSS_REFUSED):
        raise bad_request("The callback URL must be an http, https or ws URL.")
    if port not in ALLOWED_PORTS and not settings.has(Fault.STREAM_CALLBACK_ANY_PORT):
        raise bad_request(f"Callback port {port} is not allowed: use 80, 443, 8080 or 8443.")
    if not settings.allow_private_callbacks:
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(parsed.host, port)
        except OSError:
            raise bad_request("The host of the callback URL does not resolve.") from None
        if not all(is_public_address(str(info[4][0])) for info in infos):
            raise bad_request("The callback URL points to a private or loopback address.")
    return parsed


async def parse_stream_options(
    websocket: WebSocket, ctx: Context
) -> tuple[StreamOptions, str | None]:
    """The stream's options and the subprotocol to accept, or ApiError (401 or 400)."""
    key_id, subprotocol = _credentials(websocket, ctx)
    query = websocket.query_params.multi_items()
    listen = parse_listen_options(query, rest_settings(ctx.settings))
    if _last(query, "diarize") == "true" and ctx.settings.has(Fault.STREAM_DIARIZE_REFUSED):
        raise bad_request("`diarize` is not supported on streams.")
    if _last(query, "keyterm") is not None and ctx.settings.has(Fault.STREAM_KEYTERM_REFUSED):
        raise bad_request("`keyterm` is not supported on streams.")
    if _last(query, "dictation") is not None and ctx.settings.has(Fault.STREAM_OPTIONS_REFUSED):
        raise bad_request("`dictation` is not supported on streams.")
    encoding, rate, channels = _audio_format(query, ctx.settings)
    callback = _last(query, "callback")
    if callback is not None:
        await check_callback(callback, ctx.settings)
    method = (_last(query, "callback_method") or "POST").upper()
    if method not in ("POST", "PUT"):
        raise bad_request(f"Invalid value for `callback_method`: {method!r} (POST or PUT).")
    endpointing, endpointing_ms = _endpointing(_last(query, "endpointing"))
    if ctx.settings.has(Fault.STREAM_ENDPOINTING_MS_IGNORED):
        endpointing_ms = None
    gap = _last(query, "utterance_end_ms")
    options = StreamOptions(
        listen=listen,
        encoding=encoding,
        sample_rate=rate,
        channels=channels,
        multichannel=listen.multichannel,
        interim_results=_boolean(_last(query, "interim_results"), "interim_results"),
        endpointing=endpointing,
        endpointing_ms=endpointing_ms,
        utterance_end_ms=None if gap is None else _integer(gap, "utterance_end_ms", 1000),
        vad_events=_boolean(_last(query, "vad_events"), "vad_events"),
        extra=_extra(query),
        callback=callback,
        callback_method=method,
        key_id=key_id or "",
    )
    return options, subprotocol
