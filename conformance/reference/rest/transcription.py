"""The transcription of one pre-recorded listen request (a raw audio body or audio at a URL),
answered at once or, for a callback, delivered later (listen.py routes the endpoint)."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

import numpy as np
import orjson
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from ..model import response
from ..model.audio import AudioError, Raw, Samples, decode
from ..model.auth import Caller
from ..model.context import Context
from ..model.errors import ApiError, bad_request
from ..model.faults import Fault
from ..model.params import parse_listen_options
from ..model.response import Analysis
from ..model.settings import Settings
from ..model.vad import voiced_regions
from .body import media_type, read_body
from .fetch import MAX_AUDIO_BYTES, fetch_audio
from .raw import raw_format

MAX_JSON_BYTES = 1024 * 1024
UNDECODABLE = "Bad Request: failed to process audio: corrupt or unsupported data"
EMPTY_ANALYSIS = Analysis(duration=0.0, channels=1, regions=((),))
"""What accept-empty-body pretends an empty body contains."""
INLINE_BYTES = 1024 * 1024
"""Audio up to this size (30 s of 16 kHz mono: a few ms of work) is analysed on the event loop."""
ONLY_RATE = 16_000
"""The one sample rate wav-16khz-only still decodes."""

_scratch = threading.local()
"""Each thread's decoding buffer, reused: fresh memory per request is memory the kernel zeroes."""

P = ParamSpec("P")
T = TypeVar("T")


def url_from_json(body: bytes, settings: Settings) -> str:
    """The url field of a JSON request body, or the error the contract (or a fault) requires."""
    try:
        document: Any = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError):
        status = 500 if settings.has(Fault.BAD_JSON_500) else 400
        raise ApiError(status, "The request body is not valid JSON.") from None
    if not isinstance(document, dict):
        raise bad_request('The JSON request body must be an object like {"url": "..."}.')
    url = document.get("url")
    if not isinstance(url, str) or not url:
        raise bad_request('The JSON request body must have a string "url" field.')
    if settings.has(Fault.NO_URL_BODY):
        raise bad_request("Transcribing audio from a URL is not supported.")
    if settings.has(Fault.NON_HTTP_URL_500) and not url.lower().startswith(("http:", "https:")):
        raise ApiError(500, "The server failed to process the request.")
    return url


def check_audio_type(content_type: str | None, settings: Settings) -> None:
    """Any non-JSON type is sniffed; only strict-audio-mime insists on exactly audio/wav."""
    if settings.has(Fault.STRICT_AUDIO_MIME) and media_type(content_type) != "audio/wav":
        raise bad_request(f"Unsupported Content-Type {content_type!r}: send audio/wav.")


def _buffer(samples: int) -> Samples | None:
    """This thread's decoding buffer, grown to samples, for audio small enough to analyse inline."""
    if samples > INLINE_BYTES // 2:
        return None
    buffer: Samples | None = getattr(_scratch, "buffer", None)
    if buffer is None or len(buffer) < samples:
        buffer = _scratch.buffer = np.empty(samples, dtype=np.float32)
    return buffer


def analyse(
    audio: bytes,
    multichannel: bool,
    any_rate: bool,
    containers: bool = True,
    raw: Raw | None = None,
) -> Analysis:
    """Decode audio and find its voiced regions, per channel or mixed (CPU-bound: see _cpu)."""
    try:
        # only the regions outlive this call, so the buffer is reused
        decoded = decode(audio, _buffer(len(audio) // 2), containers, raw)
    except AudioError as error:
        detail = f" ({error})" if raw is not None else ""
        raise bad_request(UNDECODABLE + detail) from None
    headerless = raw is not None and audio[:4] != b"RIFF"  # its rate is the query's, not a WAV's
    if not any_rate and not headerless and decoded.rate != ONLY_RATE:
        raise bad_request(f"Unsupported sample rate {decoded.rate} Hz: send {ONLY_RATE} Hz audio.")
    if multichannel:
        signals = [decoded.channel(i) for i in range(decoded.channels)]
    else:
        signals = [decoded.mixed()]
    regions = tuple(voiced_regions(signal, decoded.rate) for signal in signals)
    return Analysis(duration=decoded.duration, channels=decoded.channels, regions=regions)


async def _audio(request: Request, ctx: Context) -> bytes:
    """The audio to transcribe: fetched for a JSON body, else the raw body itself."""
    content_type = request.headers.get("content-type")
    if media_type(content_type) == "application/json":
        url = url_from_json(await read_body(request, MAX_JSON_BYTES), ctx.settings)
        return await fetch_audio(url, ctx.settings.allow_private_urls)
    check_audio_type(content_type, ctx.settings)
    audio = await read_body(request, MAX_AUDIO_BYTES)
    if not audio and not ctx.settings.has(Fault.ACCEPT_EMPTY_BODY):
        raise bad_request("No audio: the request body is empty.")
    return audio


async def _cpu(size: int, func: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """func over size bytes: inline when small (a thread hop costs more), else off the loop."""
    if size <= INLINE_BYTES:
        return func(*args, **kwargs)
    return await run_in_threadpool(func, *args, **kwargs)


async def _analysis(
    audio: bytes, digest: str, multichannel: bool, raw: Raw | None, ctx: Context
) -> Analysis:
    """The cached analysis of this audio (by its SHA-256 and how raw bytes are read), computing
    it on a miss."""
    if not audio:
        return EMPTY_ANALYSIS
    key = (digest if raw is None else f"{digest}/{raw.encoding}@{raw.rate}", multichannel)
    cached = ctx.analyses.get(key)
    if cached is None:
        any_rate = not ctx.settings.has(Fault.WAV_16KHZ_ONLY)
        containers = not ctx.settings.has(Fault.WAV_ONLY)
        cached = await _cpu(len(audio), analyse, audio, multichannel, any_rate, containers, raw)
        ctx.analyses.put(key, cached)
    return cached


def authenticate(request: Request, ctx: Context) -> Caller:
    """The caller of a listen request; credentials that prove nothing get 401 (403: auth-403)."""
    try:
        return ctx.authenticate(request.headers.get("authorization"))
    except ApiError as error:
        if error.status == 401 and ctx.settings.has(Fault.AUTH_403):
            raise ApiError(403, error.message, "FORBIDDEN") from None
        raise


def _break_schema(request: Request, results: dict[str, Any], settings: Settings) -> None:
    """param-breaks-schema: numerals=true drops every alternative's transcript."""
    numerals = request.query_params.getlist("numerals")
    if (
        not settings.has(Fault.PARAM_BREAKS_SCHEMA)
        or not numerals
        or numerals[-1].lower() != "true"
    ):
        return
    for channel in results["channels"]:
        for alternative in channel["alternatives"]:
            alternative.pop("transcript", None)


async def listen(request: Request, ctx: Context) -> Response:
    """Authenticate, validate parameters, get the audio, and answer with its transcription."""
    settings = ctx.settings
    authenticate(request, ctx)
    options = parse_listen_options(request.query_params.multi_items(), settings)
    raw = raw_format(request.query_params.multi_items(), settings)
    audio = await _audio(request, ctx)
    digest = await _cpu(len(audio), response.sha256_hex, audio)  # once: cache key and metadata
    analysis = await _analysis(audio, digest, options.multichannel, raw, ctx)
    rid = response.request_id(settings)
    body = {
        "metadata": response.metadata(
            analysis=analysis,
            request_id=rid,
            sha256=response.audio_sha256(audio, digest, settings),
            created=response.created(ctx.clock(), settings),
            settings=settings,
            extra=options.extra,
            models=options.models[: len(analysis.regions)],
        ),
        "results": response.results(analysis, options, settings),
    }
    body["metadata"] |= response.intelligence_info(analysis, options, settings)
    _break_schema(request, body["results"], settings)
    # orjson writes what JSONResponse would (compact, UTF-8), several times faster
    header = str(uuid.uuid4()) if settings.has(Fault.LISTEN_REQUEST_ID_HEADER_DIFFERS) else rid
    return Response(
        orjson.dumps(body), media_type="application/json", headers={"dg-request-id": header}
    )
