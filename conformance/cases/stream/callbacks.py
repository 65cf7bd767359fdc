"""STREAM callbacks: each streaming response sent to an http(s) or ws(s) callback instead."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from conformance.cases.kit.context import CaseContext
from conformance.cases.kit.delivery import (
    ALLOWED_PORTS,
    NEIGHBOURS,
    USER,
    callback_password,
    dg_token_problem,
    keep_evidence,
    tls_base,
    unless_refused_as_private,
)
from conformance.cases.kit.expected_delivery import HEADING, comment
from conformance.cases.kit.registry import case
from conformance.cases.kit.streams import (
    CLOSED,
    connect,
    error_closed,
    refusal_problem,
    require_open,
    timeline,
)
from conformance.cases.kit.walk import ordinal_list
from conformance.wire.http import record
from conformance.wire.mailbox import CLOSE, Mailbox
from conformance.wire.stream import Stream

HTTP = "STREAM-CALLBACK-HTTP"
"""The requirement whose stream shows that http(s) streaming callbacks are delivered at all."""
WS = "STREAM-CALLBACK-WS"
"""The requirement whose stream shows that ws(s) streaming callbacks are delivered at all."""
KILL_AFTER = 2
"""The receiver drops the callback WebSocket once this many messages have arrived on it."""
BINARY_FRAME = "WEBSOCKET BINARY"
"""The method under which the receiver records a binary frame on a callback WebSocket."""
DEFAULT_PORTS = {"http": 80, "https": 443}
REFUSED = (
    ("http", 9000),
    ("ws", 9000),
    ("wss", 9443),
    *((("http", "ws")[n % 2], port) for n, port in enumerate(NEIGHBOURS)),
)
"""Callback schemes and ports the rule refuses: far off in each scheme, and either side of each
allowed port, in http and ws by turns (the rule is one for both schemes; each boundary once)."""


def _receiver(ctx: CaseContext) -> None:
    """Skip unless the target can reach the suite's receiver."""
    if not ctx.receiver.reachable_from_target:
        ctx.skip(
            f"the target cannot reach the suite's receiver at {ctx.receiver.base_url}; "
            "give --callback-public-url with an address the target can reach"
        )


def _ws_url(box: Mailbox) -> str:
    """The mailbox's URL as a WebSocket URL (http -> ws, https -> wss)."""
    return "ws" + box.url.removeprefix("http")


def _bodies(box: Mailbox) -> list[Any]:
    """Each delivery's body as JSON (None where it is not JSON)."""
    out = []
    for delivery in box.deliveries:
        try:
            out.append(json.loads(delivery.body))
        except ValueError:
            out.append(None)
    return out


def _types(box: Mailbox) -> list[Any]:
    """The type of each delivered message."""
    return [b.get("type") if isinstance(b, dict) else None for b in _bodies(box)]


async def _stream_to(
    ctx: CaseContext, callback: str, extra: Sequence[tuple[str, str]] = ()
) -> Stream:
    """A whole stream (audio, CloseStream, close) whose responses go to `callback` (one that
    did not open is returned as it is)."""
    plan = CLOSED
    params = (*plan.source.params, *plan.params, ("callback", callback), *extra)
    stream = await connect(ctx, params)
    if not stream.opened:
        return stream
    await stream.send_audio(plan.source, ctx.config.pace)
    stream.shutdown_at = stream.now()
    await stream.send_json({"type": "CloseStream"})
    await stream.wait_closed(ctx.config.timing.stream_end)
    await stream.aclose()
    return stream


async def _until_metadata(ctx: CaseContext, box: Mailbox) -> None:
    """Wait (with a deadline) until the closing Metadata has been delivered, so the evidence
    holds the whole stream."""
    deadline = ctx.config.timing.stream_message
    while "Metadata" not in _types(box):
        if not await box.wait_for(len(box.deliveries) + 1, deadline):
            return


def _check_deliveries(ctx: CaseContext, box: Mailbox, stream: Stream, how: str, needs: str) -> None:
    """Results arrived at the callback, each a typed JSON message (STREAM-SHUTDOWN-SEQUENCE
    judges the Metadata); nothing at all is blocked by `needs`, the requirement that judges
    whether this kind of callback is delivered at all."""
    types = _types(box)
    if not types:
        ctx.blocked(
            needs,
            f"nothing arrived at the callback {how} ({len(box.deliveries)} deliveries); "
            f"client side: {timeline(stream)}",
        )
    binary = [n for n, d in enumerate(box.deliveries) if d.method == BINARY_FRAME]
    ctx.check(
        not binary,
        f"delivery {binary[0] if binary else ''} came as a binary frame ({len(binary)} of "
        f"{len(types)} did); the documents say WebSocket text messages",
    )
    ctx.check(
        None not in types,
        f"{types.count(None)} of {len(types)} deliveries {how} are not JSON messages with a type",
    )
    ctx.check("Results" in types, f"no Results arrived {how}: types {types}")


async def _delivered(
    ctx: CaseContext,
    box: Mailbox,
    stream: Stream,
    how: str,
    method: str,
    needs: str,
) -> None:
    """The stream's Results and Metadata arrived at the mailbox by `method`."""
    _reproduce(
        ctx,
        stream,
        f"each streaming response (Results, then the closing Metadata), a JSON message with a "
        f"type, delivered {how} at {box.path} of the callback URL's host",
    )
    await _until_metadata(ctx, box)
    keep_evidence(ctx, box, retried=False)
    _check_deliveries(ctx, box, stream, how, needs)
    methods = sorted({d.method for d in box.deliveries})
    ctx.check(methods == [method], f"the deliveries came as {methods}, not {method}")


async def _callback_stream(ctx: CaseContext, scheme: str) -> tuple[Mailbox, Stream]:
    """The run's whole stream whose responses go to a callback on the receiver, over http or
    ws: STREAM-CALLBACK-HTTP or -WS judges it, STREAM-CALLBACK-PORT takes it as its control."""

    async def play() -> tuple[Mailbox, Stream]:
        box = ctx.receiver.mailbox(f"stream-{scheme}")
        return box, await _stream_to(ctx, box.url if scheme == "http" else _ws_url(box))

    box, stream = await ctx.fixtures.shared(("stream-callback", scheme), play)
    record(stream.exchange)
    unless_refused_as_private(ctx, stream.exchange)
    return box, stream


@case("STREAM-CALLBACK-HTTP")
async def http_callback_gets_each_response(ctx: CaseContext) -> None:
    """callback=http://... : each streaming response is POSTed to the callback."""
    _receiver(ctx)
    box, stream = await _callback_stream(ctx, "http")
    require_open(ctx, stream)
    await _delivered(ctx, box, stream, "by POST", "POST", HTTP)


@case("STREAM-CALLBACK-METHOD")
async def http_callback_by_put(ctx: CaseContext) -> None:
    """callback=http://...&callback_method=put : each streaming response is sent by PUT."""
    _receiver(ctx)
    box = ctx.receiver.mailbox("stream-put")
    stream = await _stream_to(ctx, box.url, (("callback_method", "put"),))
    unless_refused_as_private(ctx, stream.exchange)
    require_open(ctx, stream)
    await _delivered(ctx, box, stream, "by PUT", "PUT", HTTP)


@case("STREAM-CALLBACK-WS")
async def ws_callback_gets_each_response(ctx: CaseContext) -> None:
    """callback=ws://... : the target opens a WebSocket to the callback, one text frame each."""
    _receiver(ctx)
    box, stream = await _callback_stream(ctx, "ws")
    require_open(ctx, stream)
    await _delivered(ctx, box, stream, "over the callback WebSocket", "WEBSOCKET", WS)


@case("STREAM-CALLBACK-WS-KILL")
async def dropped_ws_callback_kills_stream(ctx: CaseContext) -> None:
    """When the receiver drops the callback WebSocket, the target closes the client's stream."""
    _receiver(ctx)
    box = ctx.receiver.mailbox("stream-kill", [200] * (KILL_AFTER - 1) + [CLOSE])
    plan = CLOSED
    params = (*plan.source.params, *plan.params, ("callback", _ws_url(box)))
    stream = await connect(ctx, params)
    unless_refused_as_private(ctx, stream.exchange)
    require_open(ctx, stream)
    deadline = ctx.config.timing.stream_end
    idle = ctx.config.stream_idle_timeout
    try:
        await stream.send_audio(plan.source, ctx.config.pace)
        waited_until = stream.now() + deadline
        while len(box.deliveries) < KILL_AFTER and (left := waited_until - stream.now()) > 0:
            await stream.send_json({"type": "KeepAlive"})  # the upload is over, not the stream
            await box.wait_for(KILL_AFTER, min(idle / 3, left))
        keep_evidence(ctx, box, retried=False)
        if len(box.deliveries) < KILL_AFTER:
            during = len(box.deliveries)
            await stream.send_json({"type": "CloseStream"})  # do any come once the upload ends?
            await box.wait_for(during + 1, deadline)
            late = len(box.deliveries) > during
            ctx.blocked(
                "STREAM-FULL-DUPLEX" if late else WS,
                f"only {during} messages reached the callback WebSocket while audio was sent"
                + (", more after the shutdown" if late else "")
                + f", so the suite could not drop it mid stream ({timeline(stream)})",
            )
        dropped = stream.now() - (time.monotonic() - box.deliveries[KILL_AFTER - 1].arrived)
        while stream.closed_at is None and (left := dropped + deadline - stream.now()) > 0:
            await stream.send_json({"type": "KeepAlive"})  # keep it from ending as idle
            await stream.wait_closed(min(idle / 3, left))
        ctx.check(
            stream.closed_at is not None,
            f"the client's stream was still open {deadline:g} s after the suite dropped the "
            f"callback WebSocket ({timeline(stream)})",
        )
        assert stream.closed_at is not None
        took = stream.closed_at - dropped
        if took < 0:
            ctx.skip(
                f"the client's stream ended {-took:.2f} s before the suite dropped the callback "
                f"WebSocket, so not because of it ({timeline(stream)})"
            )
        ctx.check(
            took <= deadline,
            f"the client's stream closed {took:.2f} s after the suite dropped the callback "
            f"WebSocket; the deadline is {deadline:g} s ({timeline(stream)})",
        )
        ctx.note(f"the client's stream closed {took:.2f} s after the callback WebSocket dropped")
    finally:
        await stream.aclose()
        _reproduce(
            ctx,
            stream,
            f"each streaming response as a text frame over a WebSocket the target opens to "
            f"{box.path} of the callback URL's host; the suite's receiver drops that WebSocket "
            f"after message {KILL_AFTER}, and the target should then close this stream within "
            f"{deadline:g} s",
        )


def _basic_problem(delivery_headers: dict[str, str], password: str) -> str | None:
    """Why a delivery (or the callback WebSocket's upgrade) lacks the URL's Basic credentials."""
    expected = "Basic " + base64.b64encode(f"{USER}:{password}".encode()).decode()
    got = delivery_headers.get("authorization")
    if got == expected:
        return None
    return f"Authorization is {got!r}, not Basic for the URL's {USER}:<password>"


@case("STREAM-CALLBACK-BASIC-AUTH")
async def stream_callback_basic_auth(ctx: CaseContext) -> None:
    """A streaming callback URL with user:pass gives each POST, and the callback WebSocket's
    upgrade, the Basic credentials; they never travel in the path or query."""
    _receiver(ctx)
    password = await callback_password(ctx)  # the run's, redacted in every report
    for scheme, how, needs in (
        ("http", "by POST", HTTP),
        ("ws", "over the callback WebSocket", WS),
    ):
        box = ctx.receiver.mailbox(f"stream-auth-{scheme}", userinfo=(USER, password))
        stream = await _stream_to(ctx, box.url if scheme == "http" else _ws_url(box))
        unless_refused_as_private(ctx, stream.exchange)
        require_open(ctx, stream)
        await _until_metadata(ctx, box)
        keep_evidence(ctx, box, retried=False)
        if not box.deliveries:
            ctx.blocked(needs, f"nothing arrived {how} with credentials in the callback URL")
        problems = [
            f"delivery {n}: {problem}"
            for n, delivery in enumerate(box.deliveries)
            if (problem := _basic_problem(delivery.headers, password))
        ]
        ctx.check(not problems, f"{scheme} streaming callback {how}: " + "; ".join(problems[:3]))
        leaked = [d for d in box.deliveries if password in f"{d.path}?{d.query}"]
        ctx.check(not leaked, f"the URL's password appears in a delivery's request line {how}")


async def _callback_streams(ctx: CaseContext) -> list[tuple[str, str, str, Mailbox, Stream]]:
    """The run's http and ws callback streams, each whole (its Metadata delivered or waited
    for), as (scheme, how, the requirement judging that delivery, mailbox, stream)."""
    _receiver(ctx)
    found = []
    for scheme, how, needs in (
        ("http", "by POST", HTTP),
        ("ws", "over the callback WebSocket", WS),
    ):
        box, stream = await _callback_stream(ctx, scheme)
        require_open(ctx, stream)
        await _until_metadata(ctx, box)
        keep_evidence(ctx, box, retried=False)
        found.append((scheme, how, needs, box, stream))
    return found


@case("STREAM-CALLBACK-DG-TOKEN")
async def stream_callback_dg_token(ctx: CaseContext) -> None:
    """Each streaming POST, and the callback WebSocket's upgrade, carries dg-token: the
    submitting key's identifier (without --api-key-id: present, and not the key)."""
    for scheme, how, needs, box, _ in await _callback_streams(ctx):
        if not box.deliveries:
            ctx.blocked(needs, f"nothing arrived at the callback {how}")
        problems = [
            f"delivery {n}: {problem}"
            for n, delivery in enumerate(box.deliveries)
            if (problem := dg_token_problem(ctx, delivery.headers.get("dg-token")))
        ]
        ctx.check(not problems, f"{scheme} streaming callback {how}: " + "; ".join(problems[:3]))


@case("STREAM-CALLBACK-METADATA")
async def stream_callback_metadata(ctx: CaseContext) -> None:
    """The closing Metadata reaches the callback too (http and ws), after the last Results
    (blocked by STREAM-SHUTDOWN-SEQUENCE, which judges the same order on the client's socket,
    and this one's own failure when the client's streams end right)."""
    for scheme, how, needs, box, stream in await _callback_streams(ctx):
        types = _types(box)
        if "Results" not in types:
            ctx.blocked(needs, f"no Results arrived at the callback {how}: types {types}")
        if types[-1] != "Metadata":
            ctx.blocked(
                "STREAM-SHUTDOWN-SEQUENCE",
                f"the stream to the {scheme} callback ended ({timeline(stream)}) but the last "
                f"message delivered {how} is a {types[-1]!r}, not the closing Metadata "
                f"(types {types[-6:]})",
            )


@case("STREAM-CALLBACK-WSS")
async def wss_callback_gets_each_response(ctx: CaseContext) -> None:
    """callback=wss://... : the target opens a TLS WebSocket to the callback, as for ws."""
    _receiver(ctx)
    box = ctx.receiver.mailbox("stream-wss", base_url=tls_base(ctx))
    stream = await _stream_to(ctx, _ws_url(box))
    unless_refused_as_private(ctx, stream.exchange)
    require_open(ctx, stream)
    await _until_metadata(ctx, box)
    keep_evidence(ctx, box, retried=False)
    types = _types(box)
    if not box.deliveries:
        ctx.blocked(WS, f"nothing arrived over the wss callback WebSocket ({timeline(stream)})")
    if any(d.method == BINARY_FRAME for d in box.deliveries) or None in types:
        ctx.blocked(WS, f"deliveries over wss are not JSON text frames: types {types[:6]}")
    ctx.check(
        "Results" in types,
        f"no Results arrived over the wss callback WebSocket ({len(box.deliveries)} "
        f"deliveries, types {types[:6]}); client side: {timeline(stream)}",
    )


@case("STREAM-CALLBACK-PORT")
async def callback_port_rule(ctx: CaseContext) -> None:
    """Streaming callbacks on ports other than 80, 443, 8080 or 8443 are refused, while the
    same http and ws URLs on the receiver's allowed port are accepted."""
    _receiver(ctx)
    box = ctx.receiver.mailbox("stream-port")
    scheme = urlsplit(box.url).scheme
    port = urlsplit(box.url).port or DEFAULT_PORTS[scheme]
    if port not in ALLOWED_PORTS:
        ctx.skip(
            f"the suite's receiver is on port {port} ({ctx.receiver.base_url}), which the rule "
            "does not allow, so no URL of it can show that an allowed port is accepted"
        )
    for control_scheme in ("http", "ws"):
        _, control = await _callback_stream(ctx, control_scheme)
        if not _taken(control):
            ctx.blocked(
                WS if control_scheme == "ws" else HTTP,
                f"{control.exchange.describe()}: the target refused the callback on the "
                f"allowed port {port} as well ({timeline(control)}), so refusals on other "
                "ports cannot be attributed to the port rule",
            )
    problems = []
    for refused_scheme, refused_port in REFUSED:
        # A ws(s) URL there reaches nothing, so a target that took it can only error-close:
        # such a close counts as the refusal, which only an upgrade 4xx proves for certain.
        url = _on_port(box.url, refused_scheme, refused_port)
        problem = await refusal_problem(ctx, (*CLOSED.source.params, ("callback", url)))
        if problem is not None:
            problems.append(f"{url}: {problem}")
    ctx.check(
        not problems,
        f"{len(problems)} of {len(REFUSED)} callback URLs on ports the rule does not allow were "
        f"accepted: {ordinal_list(problems)}",
    )


def _taken(control: Stream) -> bool:
    """Whether a control stream was accepted: opened, and not error-closed before the suite
    asked it to end (a close after CloseStream, whatever its code, is the shutdown's business:
    STREAM-SHUTDOWN-CODE and -CLOSESTREAM judge it)."""
    if not control.opened:
        return False
    asked = control.shutdown_at
    early = control.closed_at is not None and (asked is None or control.closed_at < asked)
    return not (early and error_closed(control))


def _on_port(url: str, scheme: str, port: int) -> str:
    """The URL with another scheme and port: same host and path."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    host = f"[{host}]" if ":" in host else host
    return urlunsplit((scheme, f"{host}:{port}", parts.path, parts.query, ""))


def _reproduce(ctx: CaseContext, stream: Stream, expected: str) -> None:
    """The stream's replay script, with the deliveries it should bring as comments."""
    lines = [HEADING, f"  {expected}"]
    ctx.reproducer = f"{stream.reproducer()}\n{comment(lines)}"
