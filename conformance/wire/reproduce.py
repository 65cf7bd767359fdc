"""Reproducers: a command a person can paste to see a failure for themselves, secrets as
placeholders ($DEEPGRAM_API_KEY, $CALLBACK_PASSWORD)."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from typing import Any

from conformance.wire.redact import REDACTED

KEY_PLACEHOLDER = "$DEEPGRAM_API_KEY"
PASSWORD_PLACEHOLDER = "$CALLBACK_PASSWORD"


def _quote(text: str) -> str:
    """Double-quote for a POSIX shell, leaving only the placeholders to expand."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("`", "\\`").replace("$", "\\$")
    for placeholder in (KEY_PLACEHOLDER, PASSWORD_PLACEHOLDER):
        escaped = escaped.replace("\\" + placeholder, placeholder)
    return f'"{escaped}"'


def _printf(body: bytes) -> str:
    """A printf command writing these exact bytes (NUL included, which no shell word can hold)."""
    printable = {*range(0x20, 0x7F)} - {ord("'"), ord("\\"), ord("%")}
    return "printf '" + "".join(chr(b) if b in printable else f"\\{b:03o}" for b in body) + "'"


def curl(
    exchange: dict[str, Any], body: bytes | None = None, authorization: str | None = None
) -> str:
    """A curl command repeating a recorded exchange (from its evidence form); `body` is the
    request body in full when the evidence keeps only an excerpt of it; `authorization`, the
    header sent as is when its credential was the point and is no secret."""
    request = exchange["request"]
    url = request["url"]
    for colon, at in ((":", "@"), ("%3A", "%40")):  # a URL, or one inside a query (callback=)
        url = url.replace(f"{colon}{REDACTED}{at}", f"{colon}{PASSWORD_PLACEHOLDER}{at}")
    words = ["curl", "-sS", "-X", request["method"], _quote(url)]
    for name, value in request["headers"].items():
        if name.lower() == "authorization":
            value = authorization or value.replace(REDACTED, KEY_PLACEHOLDER)
        words += ["-H", _quote(f"{name}: {value}")]
    prefix = ""
    if exchange.get("attachment"):
        clip = exchange["attachment"]
        prefix = f"conformance audio {clip} > {clip}.wav && "
        words += ["--data-binary", f"@{clip}.wav"]
    elif body is not None:
        text = body.decode("utf-8", "replace")
        if text.isprintable() and text.encode() == body:
            words += ["--data-raw", "'" + text.replace("'", "'\\''") + "'"]  # nothing expands
        else:
            prefix = f"{_printf(body)} | "
            words += ["--data-binary", "@-"]
    elif request["body"] and not request["body"].startswith("<"):
        words += ["--data-raw", _quote(request["body"].replace(REDACTED, PASSWORD_PLACEHOLDER))]
    return prefix + " ".join(words)


def for_case(exchanges: list[dict[str, Any]], authorization: str | None = None) -> str | None:
    """The reproducer of a failed case: the exchange its verdict rests on (see curl)."""
    return curl(exchanges[-1], authorization=authorization) if exchanges else None


def stream_script(url: str, auth_line: str, steps: Sequence[str]) -> str:
    """A Python script replaying a stream step by step (a stream is no curl command)."""
    indented = textwrap.indent("\n".join(steps), "    ")  # inside `async with` in main()
    return STREAM_SCRIPT.format(url=url, auth=auth_line, steps=indented)


STREAM_SCRIPT = """# pip install speech-api-conformance  (or, in a checkout: pip install .)
# DEEPGRAM_API_KEY=... python this.py
import asyncio, json, os, time
from websockets.asyncio.client import connect
from conformance.wire.codecs import stream_audio

URL = {url!r}


async def send_audio(ws, clip, encoding, rate, count):
    for frame in stream_audio(clip, encoding, rate).frames()[:count]:
        await ws.send(frame)
        await asyncio.sleep(0.1)


async def show(ws):
    start = time.monotonic()
    try:
        async for message in ws:
            print(f"{{time.monotonic() - start:6.2f}} s <- {{message!r:.300}}")
    finally:
        print("closed", ws.close_code, ws.close_reason)


async def main():
    async with connect(URL, {auth}) as ws:
        reader = asyncio.ensure_future(show(ws))
{steps}
        await asyncio.wait_for(reader, 30)


asyncio.run(main())
"""
