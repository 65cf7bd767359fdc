"""SPEAK over REST, what the answer says of itself: the output formats the spec lists (content
type, signature, WAV header), the refused ones, the model, character count and request id
headers, text/plain bodies, the content-type and character limits, speed."""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass

from conformance.cases.kit.context import CaseContext
from conformance.cases.kit.delivery import SPEAK_PATH
from conformance.cases.kit.registry import case
from conformance.wire.http import Exchange

TEXT = "Hello, world."
"""The genuine recordings' text: dg-char-count 13."""
MODEL = "aura-2-thalia-en"
UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
WAV_FORMATS = {"linear16": (1, 16), "mulaw": (7, 8), "alaw": (6, 8)}
"""WAV encoding -> (the fmt chunk's format code, bits per sample)."""
WAV_RATES = {"linear16": (8000, 16000, 24000, 32000, 48000), "mulaw": (8000, 16000)}
WAV_RATES["alaw"] = WAV_RATES["mulaw"]
COMBINATIONS: tuple[tuple[tuple[str, str], ...], ...] = (
    *(
        (("encoding", e), ("container", c), ("sample_rate", str(r)))
        for e, rates in WAV_RATES.items()
        for c in ("wav", "none")
        for r in rates
    ),
    (("encoding", "mp3"), ("bit_rate", "32000")),
    (("encoding", "mp3"), ("bit_rate", "48000")),
    (("encoding", "opus"), ("container", "ogg")),
    (("encoding", "flac"),),
    (("encoding", "aac"),),
)
"""Every combination the official spec lists (V1SpeakPostParametersContainer*, *SampleRate*,
*BitRate0)."""
INVALID: tuple[tuple[tuple[str, str], ...], ...] = (
    (("encoding", "mp3"), ("container", "wav")),
    (("encoding", "opus"), ("container", "wav")),
    (("encoding", "mulaw"), ("sample_rate", "24000")),
    (("encoding", "linear16"), ("sample_rate", "11025")),
    (("encoding", "mp3"), ("bit_rate", "96000")),
)
"""Combinations the spec's lists leave out."""
CONTENT_TYPES = {
    "wav": ("audio/wav", "audio/x-wav", "audio/wave", "audio/vnd.wave"),
    "mp3": ("audio/mpeg", "audio/mp3", "audio/mpeg3"),
    "opus": ("audio/ogg", "audio/opus", "application/ogg"),
    "flac": ("audio/flac", "audio/x-flac"),
    "aac": ("audio/aac", "audio/aacp", "audio/x-aac", "audio/mp4"),
}


@dataclass(frozen=True)
class Answer:
    """One format's request and its answer."""

    query: dict[str, str]
    exchange: Exchange

    @property
    def label(self) -> str:
        """The query, as a reader finds it in the evidence."""
        return "&".join(f"{k}={v}" for k, v in self.query.items())

    @property
    def kind(self) -> str:
        """The format the body should be: wav, none, mp3, opus, flac or aac."""
        encoding = self.query["encoding"]
        if encoding in WAV_FORMATS:
            return self.query.get("container", "wav")
        return encoding


async def speak(
    ctx: CaseContext, params: tuple[tuple[str, str], ...] = (), text: str = TEXT
) -> Exchange:
    """One speak request for the text, shared by every case that asks the same."""
    query = (("model", MODEL), *params)

    async def send() -> Exchange:
        return await ctx.client.request("POST", SPEAK_PATH, params=query, json_body={"text": text})

    return await ctx.fixtures.shared(("speak", query, text), send)


def is_audio(exchange: Exchange) -> bool:
    """A 200 with a body that is not JSON."""
    return exchange.status == 200 and bool(exchange.content) and exchange.content[:1] != b"{"


async def answers(ctx: CaseContext) -> list[Answer]:
    """Every documented combination's answer; blocked by SPEAK-FORMATS where one is refused."""
    found = []
    for params in COMBINATIONS:
        exchange = await speak(ctx, params)
        if not is_audio(exchange):
            ctx.blocked("SPEAK-FORMATS", f"{exchange.describe()}: a documented format refused")
        found.append(Answer(dict(params), exchange))
    return found


def signature_problem(answer: Answer) -> str | None:
    """Why the body is not of the format asked, or None."""
    body = answer.exchange.content
    riff = body[:4] == b"RIFF" and body[8:12] == b"WAVE"
    expected = {
        "wav": riff,
        "none": not riff,
        "opus": body[:4] == b"OggS",
        "flac": body[:4] == b"fLaC",
        "mp3": body[:3] == b"ID3" or (len(body) > 1 and body[0] == 0xFF and body[1] >= 0xE0),
        "aac": (len(body) > 1 and body[0] == 0xFF and body[1] & 0xF6 == 0xF0)
        or body[:4] == b"ADIF"
        or body[4:8] == b"ftyp",
    }[answer.kind]
    return None if expected else f"{answer.label}: the body begins {body[:12]!r}"


def wav_header(body: bytes) -> tuple[int, int, int, int] | None:
    """(format code, channels, sample rate, bits per sample) of a RIFF WAVE fmt chunk."""
    at = 12
    while at + 8 <= len(body):
        name, size = body[at : at + 4], struct.unpack("<I", body[at + 4 : at + 8])[0]
        if name == b"fmt " and size >= 16 and at + 24 <= len(body):
            code, channels, rate = struct.unpack("<HHI", body[at + 8 : at + 16])
            bits = struct.unpack("<H", body[at + 22 : at + 24])[0]
            return code, channels, rate, bits
        at += 8 + size + size % 2
    return None


@case("SPEAK-FORMATS")
async def documented_formats_accepted(ctx: CaseContext) -> None:
    """Every encoding, container, sample_rate and bit_rate combination listed gives audio."""
    await require_speech(ctx)
    for params in COMBINATIONS:
        exchange = await speak(ctx, params)
        ctx.check(
            is_audio(exchange),
            f"{exchange.describe()}: a combination the official spec lists; expected 200 with "
            f"audio, got {len(exchange.content)} bytes of {exchange.content_type or 'nothing'}",
            on=exchange,
        )


@case("SPEAK-FORMAT-SIGNATURE")
async def body_in_format_asked(ctx: CaseContext) -> None:
    """The body is of the format asked: RIFF WAVE, Ogg, fLaC, MP3, AAC; headerless for none."""
    for answer in await answers(ctx):
        problem = signature_problem(answer)
        ctx.check(
            problem is None,
            f"{problem}: expected {'no RIFF header' if answer.kind == 'none' else answer.kind} "
            "(container specifies the file format wrapper for the output audio)",
            on=answer.exchange,
        )


@case("SPEAK-CONTENT-TYPE")
async def content_type_names_format(ctx: CaseContext) -> None:
    """The Content-Type names the format asked (any audio type for headerless audio)."""
    for answer in await answers(ctx):
        kind, got = answer.kind, answer.exchange.content_type
        allowed = CONTENT_TYPES.get(kind)
        fits = (
            got in allowed
            if allowed
            else got.startswith("audio/") or got == "application/octet-stream"
        )
        ctx.check(
            fits,
            f"{answer.label}: Content-Type {got or 'missing'}; expected "
            f"{' or '.join(allowed) if allowed else 'an audio/* type'}",
            on=answer.exchange,
        )


async def _wav_answers(ctx: CaseContext) -> list[tuple[Answer, tuple[int, int, int, int]]]:
    """The WAV answers and their headers; blocked by SPEAK-FORMAT-SIGNATURE without a header."""
    found = []
    for answer in await answers(ctx):
        if answer.kind != "wav":
            continue
        header = wav_header(answer.exchange.content)
        if header is None:
            ctx.blocked("SPEAK-FORMAT-SIGNATURE", f"{answer.label}: no RIFF fmt chunk")
        found.append((answer, header))
    return found


@case("SPEAK-WAV-HEADER")
async def wav_header_as_asked(ctx: CaseContext) -> None:
    """A WAV answer's fmt chunk has the encoding's format code and bit depth and the rate asked."""
    for answer, (code, _, rate, bits) in await _wav_answers(ctx):
        encoding, asked = answer.query["encoding"], int(answer.query["sample_rate"])
        want_code, want_bits = WAV_FORMATS[encoding]
        ctx.check(
            (code, rate, bits) == (want_code, asked, want_bits),
            f"{answer.label}: the WAV header says format {code}, {rate} Hz, {bits} bits; expected "
            f"format {want_code} ({encoding}), {asked} Hz, {want_bits} bits",
            on=answer.exchange,
        )


@case("SPEAK-WAV-MONO")
async def wav_is_mono(ctx: CaseContext) -> None:
    """A WAV answer has one channel."""
    for answer, (_, channels, _, _) in await _wav_answers(ctx):
        ctx.check(
            channels == 1,
            f"{answer.label}: the WAV header says {channels} channels; expected 1",
            on=answer.exchange,
        )


@case("SPEAK-FORMAT-INVALID")
async def undocumented_formats_refused(ctx: CaseContext) -> None:
    """Combinations the spec's lists leave out are refused with 400."""
    await require_speech(ctx)
    for params in INVALID:
        exchange = await speak(ctx, params)
        ctx.check(
            exchange.status == 400,
            f"{exchange.describe()}: a combination the spec does not list; expected 400 "
            '("Unsupported Output Audio Format Requested in Query Parameters")',
            on=exchange,
        )


async def require_speech(ctx: CaseContext) -> Exchange:
    """The plain request's audio answer, or blocked by SPEAK-AUDIO."""
    exchange = await speak(ctx)
    if not is_audio(exchange):
        ctx.blocked("SPEAK-AUDIO", f"{exchange.describe()}: the plain request gave no audio")
    return exchange
