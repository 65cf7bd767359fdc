"""Shared by the CALLBACK and SPEAK cases: submitting callback requests, waiting for attempts,
and probing which callback URLs a target accepts."""

from __future__ import annotations

import asyncio
import base64
import functools
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from hypothesis import strategies as st

from conformance.cases.kit import attempts as schedule
from conformance.cases.kit import expected_delivery as expectation
from conformance.cases.kit.context import LISTEN_PATH, CaseContext
from conformance.cases.listen.params import explore
from conformance.errors import CheckFailed
from conformance.wire import audio, reproduce
from conformance.wire.addresses import is_private
from conformance.wire.http import Exchange, Params, record
from conformance.wire.mailbox import Answer, Mailbox

SPEAK_PATH = "/v1/speak"
PLAIN = "plain"
"""The label of each endpoint's plain callback request, sent once per run: ACCEPTED, DELIVERY,
REQUEST-ID, POST and DG-TOKEN read it (and, on port 8080, it is the control of the port and
protocol rules and PORT-ALLOWED's 8080)."""
USER = "conformance"
"""The user name in the callback URL of the BASIC-AUTH requests."""
CONTROL_PORT = 8080
"""The allowed port of the control request: the receiver's own."""
SPEAK_TEXT = "Hello."
"""What every speak request asks to be spoken: a word is a valid body, and each character is
billed."""
ALLOWED_PORTS = (80, 443, 8080, 8443)
NEIGHBOURS = (0, 79, 81, 442, 444, 8079, 8081, 8442, 8444)
"""The ports either side of each allowed one (the boundaries of the rule), and 0, which a
parser that reads a missing port as 0 may take for the scheme's default."""


@dataclass(frozen=True)
class Endpoint:
    """An endpoint that takes `callback`: how to send it a request and name its requirements."""

    name: str
    path: str
    prefix: str
    """Requirement ID prefix of its callback requirements (CALLBACK or SPEAK-CALLBACK)."""
    delivers: str
    """The body its deliveries carry, in words, for reproducers."""

    async def submit(self, ctx: CaseContext, params: Params) -> Exchange:
        """Send the endpoint's standard request (1.3 s of audio, or a sentence) with params."""
        if self.name == "speak":
            body = {"text": SPEAK_TEXT}
            return await ctx.client.request("POST", self.path, params=params, json_body=body)
        clip = audio.phrase()
        return await ctx.client.request(
            "POST", self.path, params=params, content=clip.wav, content_type=clip.content_type
        )


LISTEN = Endpoint(
    "listen",
    LISTEN_PATH,
    "CALLBACK",
    "the whole transcription as application/json, valid against schemas/listen-response.json, "
    "its metadata.request_id the one of the immediate answer",
)
SPEAK = Endpoint(
    "speak",
    SPEAK_PATH,
    "SPEAK-CALLBACK",
    "the synthesized audio, with an audio/* Content-Type",
)


def applies(ctx: CaseContext, endpoint: Endpoint, *, delivery: bool = True) -> None:
    """Skip unless (for deliveries) the target can reach us (the capabilities each requirement
    needs are declared in its catalogue entry, and the engine skips without them)."""
    if delivery and not ctx.receiver.reachable_from_target:
        ctx.skip(
            f"the target cannot reach the suite's callback receiver at {ctx.receiver.base_url}; "
            "give --callback-public-url with an address the target can reach"
        )


def _private_receiver(ctx: CaseContext) -> bool:
    """Whether the callback URLs point at a loopback or private address of the suite's."""
    return is_private(ctx.receiver.host)


def unless_refused_as_private(ctx: CaseContext, exchange: Exchange) -> None:
    """Skip when a 400 may only mean the target refuses private callback URLs (no SSRF)."""
    config = ctx.config
    known = config.embedded or bool(config.callback_public_url)
    if exchange.status == 400 and not known and _private_receiver(ctx):
        ctx.skip(
            f"{exchange.describe()}: the target refused a callback URL on the suite's receiver at "
            f"{ctx.receiver.base_url}, a private address that a target may refuse (no SSRF); "
            "give --callback-public-url with a public address that reaches the receiver"
        )


def accepted_request_id(exchange: Exchange) -> str | None:
    """The request_id of an acceptance (2xx JSON object, request_id, no results), else None."""
    if exchange.status is None or not 200 <= exchange.status <= 299:
        return None
    if exchange.content_type != "application/json":
        return None
    try:
        body = exchange.json()
    except CheckFailed:
        return None
    if not isinstance(body, dict) or "results" in body:
        return None
    request_id = body.get("request_id")
    return request_id if isinstance(request_id, str) and request_id else None


def show_spacings(box: Mailbox) -> str:
    """When each attempt came after the previous one was answered, for the evidence."""
    return (
        ", ".join(
            f"attempt {n + 2} {gap:.3f} s after attempt {n + 1} was answered"
            for n, gap in enumerate(box.spacings())
        )
        or "(a single attempt)"
    )


def keep_evidence(ctx: CaseContext, box: Mailbox, *, retried: bool = True) -> None:
    """Put the attempts that arrived (and how they were answered) into the case's evidence, with
    their timeline: spacing judged against the declared delay where attempts are retries."""
    origin = "{0.scheme}://{0.netloc}".format(urlsplit(ctx.receiver.base_url))
    for delivery in box.deliveries:
        record(delivery.exchange(origin, ctx.redactor))
    delay = ctx.config.retry_delay if retried else None
    bounds = None if delay is None else ctx.config.timing.spacing_bounds(delay)
    ctx.callbacks[box.path] = schedule.timeline(box, delay, bounds)


async def attempts(ctx: CaseContext, box: Mailbox, most: int) -> int:
    """Wait for up to `most` attempts: each within the deadline that follows the end of the
    previous one (our answer, or the sender giving up on an attempt we held)."""
    timing = ctx.config.timing
    try:
        if not await box.wait_for(1, timing.first_delivery()):
            return 0
        while len(box.deliveries) < most:
            previous = box.deliveries[-1]
            try:
                await asyncio.wait_for(previous.ended.wait(), timing.sender_timeout())
            except TimeoutError:
                ctx.note(
                    f"the target held attempt {len(box.deliveries)} open for more than "
                    f"{timing.sender_timeout():g} s"
                )
                break
            window = timing.next_attempt(ctx.config.retry_delay, box.spacings())
            if not await box.wait_for(len(box.deliveries) + 1, window):
                break
        return len(box.deliveries)
    finally:
        keep_evidence(ctx, box)
        if most > 1:
            ctx.note(f"callback attempts at {box.path}: {show_spacings(box)}")


async def _request(
    ctx: CaseContext,
    endpoint: Endpoint,
    label: str,
    script: Sequence[Answer],
    params: Params,
    userinfo: tuple[str, str] | None,
) -> tuple[Mailbox, Exchange]:
    """A fresh mailbox, and the endpoint's request with callback pointing at it."""
    box = ctx.receiver.mailbox(label, script, userinfo=userinfo)
    return box, await endpoint.submit(ctx, [("callback", box.url), *params])


async def submit(
    ctx: CaseContext,
    endpoint: Endpoint,
    label: str,
    script: Sequence[Answer] = (),
    params: Params = (),
    userinfo: tuple[str, str] | None = None,
    *,
    share: bool = False,
) -> tuple[Mailbox, Exchange]:
    """A fresh mailbox and the endpoint's request with callback pointing at it; with `share`,
    the run's one of this label, which every case naming it reads (see SHARED)."""
    if share:
        make = functools.partial(_request, ctx, endpoint, label, script, params, userinfo)
        box, exchange = await ctx.fixtures.shared(("callback", endpoint.name, label), make)
        record(exchange)
    else:
        box, exchange = await _request(ctx, endpoint, label, script, params, userinfo)
    unless_refused_as_private(ctx, exchange)
    submitted = reproduce.for_case([exchange.evidence()])
    if submitted:
        user = userinfo[0] if userinfo else None
        lines = expectation.delivery(ctx, endpoint.delivers, box.path, params, script, user)
        this = f"{submitted}\n{expectation.comment(lines)}"
        ctx.reproducer = f"{ctx.reproducer}\n\n{this}" if ctx.reproducer else this
    return box, exchange


async def delivered(
    ctx: CaseContext,
    endpoint: Endpoint,
    label: str,
    script: Sequence[Answer] = (),
    params: Params = (),
    userinfo: tuple[str, str] | None = None,
    *,
    share: bool = False,
) -> tuple[Mailbox, str]:
    """Submit a callback request (see submit) and wait for its first attempt; blocked when that
    cannot happen."""
    applies(ctx, endpoint)
    box, exchange = await submit(ctx, endpoint, label, script, params, userinfo, share=share)
    request_id = accepted_request_id(exchange)
    if request_id is None:
        ctx.blocked(
            f"{endpoint.prefix}-ACCEPTED",
            f"the target did not accept the callback request ({exchange.describe()})",
        )
    if await attempts(ctx, box, 1) == 0:
        ctx.blocked(
            f"{endpoint.prefix}-DELIVERY",
            f"no callback arrived within {ctx.config.timing.first_delivery():g} s",
        )
    return box, request_id


async def first_delivery(ctx: CaseContext, endpoint: Endpoint) -> Mailbox:
    """The plain callback request and its first attempt; a failure when either does not
    happen."""
    applies(ctx, endpoint)
    box, exchange = await submit(ctx, endpoint, PLAIN, share=True)
    if accepted_request_id(exchange) is None:
        ctx.blocked(
            f"{endpoint.prefix}-ACCEPTED",
            f"{exchange.describe()}: the target did not accept the request for callback, so "
            f"nothing will be delivered; body {exchange.response_body[:160]!r}",
        )
    deadline = ctx.config.timing.first_delivery()
    if await attempts(ctx, box, 1) == 0:
        strays = ctx.receiver.strays_for(box)
        elsewhere = (
            f"; meanwhile {len(strays)} request(s) came to paths the suite never gave out, e.g. "
            f"{strays[0].method} {strays[0].path} (expected {box.path})"
            if strays
            else ""
        )
        ctx.fail(f"no callback arrived in {deadline:g} s{elsewhere}")
    return box


async def check_accepted(ctx: CaseContext, endpoint: Endpoint) -> None:
    """The immediate answer to a callback request is an acceptance with a request_id."""
    applies(ctx, endpoint, delivery=False)
    _, exchange = await submit(ctx, endpoint, PLAIN, share=True)
    ctx.note(
        f"the request with callback was answered in {exchange.elapsed:.3f} s "
        "(the documents set no bound on 'immediately'; for comparison only)"
    )
    ctx.check(
        accepted_request_id(exchange) is not None,
        f"{exchange.describe()}: a request with callback should be answered at once with a "
        f"JSON object holding request_id (and no results); body {exchange.response_body[:160]!r}",
    )


async def _check_method(ctx: CaseContext, endpoint: Endpoint, value: str | None) -> None:
    """callback_method=value (or none) gives a delivery with the method it names (POST)."""
    params = [("callback_method", value)] if value else []
    expected = (value or "POST").upper()
    label = f"method-{value}" if value else PLAIN
    box, _ = await delivered(ctx, endpoint, label, params=params, share=not value)
    got = box.deliveries[0].method
    ctx.check(
        got == expected,
        f"{'callback_method=' + value if value else 'no callback_method'}: the delivery came "
        f"as {got}, expected {expected}",
    )


async def check_post(ctx: CaseContext, endpoint: Endpoint) -> None:
    """Without callback_method the delivery is a POST (read on the plain request)."""
    await _check_method(ctx, endpoint, None)


async def check_put(ctx: CaseContext, endpoint: Endpoint) -> None:
    """callback_method=put and =PUT each give a PUT: sent together, so their deliveries are
    waited for at once, and judged in that order, so a failure names the same one every run."""
    outcomes = await asyncio.gather(
        *(_check_method(ctx, endpoint, value) for value in ("put", "PUT")), return_exceptions=True
    )
    for outcome in outcomes:
        if isinstance(outcome, BaseException):
            raise outcome


async def callback_password(ctx: CaseContext) -> str:
    """The run's callback password (redacted everywhere from the start)."""

    async def make() -> str:
        password = secrets.token_hex(12)
        ctx.redactor.add(password)
        return password

    return await ctx.fixtures.shared(("callback-password",), make)


async def basic(ctx: CaseContext, endpoint: Endpoint) -> tuple[Mailbox, str]:
    """The run's callback request whose URL carries credentials (BASIC-AUTH and -HIDDEN read
    it), and the password."""
    password = await callback_password(ctx)
    box, _ = await delivered(ctx, endpoint, "basic", userinfo=(USER, password), share=True)
    return box, password


async def check_basic_auth(ctx: CaseContext, endpoint: Endpoint) -> None:
    """Credentials in the callback URL come back as a Basic Authorization header."""
    user = USER
    box, password = await basic(ctx, endpoint)
    got = box.deliveries[0].headers.get("authorization")
    expected = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
    ctx.check(
        got == expected,
        f"the callback URL carried credentials {user}:<password>; the delivery's Authorization "
        f"header is {ctx.redactor.header('authorization', got) if got else 'missing'}, "
        "expected Basic with those credentials",
    )


async def check_basic_auth_hidden(ctx: CaseContext, endpoint: Endpoint) -> None:
    """The credentials of the callback URL never appear in the delivery's path or query."""
    box, password = await basic(ctx, endpoint)
    first = box.deliveries[0]
    line = f"{first.path}?{first.query}"
    ctx.check(
        password not in line,
        f"the callback URL's password appears in the delivery's request line: "
        f"{first.method} {ctx.redactor.text(line)}",
    )


def dg_token_problem(ctx: CaseContext, got: str | None) -> str | None:
    """What is wrong with a delivery's dg-token header, or None: it must name the submitting key
    (equal to --api-key-id when given), and without the identifier it must at least be present
    and not be the key itself (the identifier, never the secret)."""
    key_id = ctx.config.credentials.api_key_id
    if key_id:
        if got == key_id:
            return None
        return f"the dg-token header is {got!r}; expected the API key identifier {key_id!r}"
    if not got:
        return "the delivery has no dg-token header; it should carry the API key identifier"
    if got == ctx.config.credentials.api_key:
        return (
            "the dg-token header is the API key itself (shown redacted); the documents say the "
            "API Key Identifier, which is not the secret"
        )
    return None


async def check_dg_token(ctx: CaseContext, endpoint: Endpoint) -> None:
    """The delivery's dg-token is the submitting key's identifier (without --api-key-id: a
    dg-token is there, and it is not the key)."""
    box, _ = await delivered(ctx, endpoint, PLAIN, share=True)
    problem = dg_token_problem(ctx, box.deliveries[0].headers.get("dg-token"))
    ctx.check(problem is None, str(problem))
    if not ctx.config.credentials.api_key_id:
        ctx.note(
            "without --api-key-id only the header's presence and that it is not the key "
            "were checked; give --api-key-id to check its value"
        )


def tls_base(ctx: CaseContext) -> str:
    """The https base URL of the receiver that this target can verify: a public https URL as
    given, or the receiver's own TLS address for the embedded server, which trusts the run's
    authority; a skip, saying what to give, for any other target."""
    public = ctx.config.callback_public_url or ""
    base = ctx.receiver.tls_base_url
    if base is None or not (public.startswith("https://") or ctx.config.embedded):
        ctx.skip(
            "no https address of the receiver that this target can verify: give "
            "--callback-public-url with an https URL (a tunnel that terminates TLS)"
        )
    return base


async def check_https(ctx: CaseContext, endpoint: Endpoint) -> None:
    """An https callback URL (the receiver's own TLS address, port 8443) is accepted and the
    result delivered over TLS, as over http."""
    applies(ctx, endpoint)
    box = ctx.receiver.mailbox("https", base_url=tls_base(ctx))
    exchange = await endpoint.submit(ctx, [("callback", box.url)])
    unless_refused_as_private(ctx, exchange)
    if accepted_request_id(exchange) is None:
        ok = exchange.status is not None and 200 <= exchange.status <= 299
        ctx.blocked(  # acceptance is ACCEPTED's (a 2xx) or PORT-ALLOWED's (8443, https) to judge
            f"{endpoint.prefix}-ACCEPTED" if ok else f"{endpoint.prefix}-PORT-ALLOWED",
            f"{exchange.describe()}: the https callback URL {box.url} was not accepted as one",
        )
    if await attempts(ctx, box, 1) == 0:
        ctx.blocked(
            f"{endpoint.prefix}-DELIVERY",
            f"nothing was delivered to the https callback {box.url} within "
            f"{ctx.config.timing.first_delivery():g} s",
        )
    keep_evidence(ctx, box, retried=False)


def _probe_url(ctx: CaseContext, scheme: str, port: int | None, path: str) -> str:
    """A callback URL on the receiver's own host (so no third party is ever called)."""
    host = ctx.receiver.host
    netloc = f"[{host}]" if ":" in host else host
    return f"{scheme}://{netloc}{'' if port is None else f':{port}'}{path}"


async def control(ctx: CaseContext, endpoint: Endpoint) -> Exchange:
    """The answer to an http callback URL on port 8080 of the receiver's host: the plain
    request's, whose URL is one when the receiver listens there, else a probe of its own (each
    sent once per run)."""
    parts = urlsplit(ctx.receiver.base_url)
    if parts.scheme == "http" and parts.port == CONTROL_PORT:
        return (await submit(ctx, endpoint, PLAIN, share=True))[1]

    async def probe() -> Exchange:
        url = _probe_url(ctx, "http", CONTROL_PORT, ctx.receiver.mailbox("control").path)
        return await endpoint.submit(ctx, [("callback", url)])

    exchange = await ctx.fixtures.shared(("callback-control", endpoint.name), probe)
    record(exchange)
    return exchange


async def check_ports_allowed(ctx: CaseContext, endpoint: Endpoint) -> None:
    """80, 443, 8080 and 8443, explicit or implied by the scheme, are accepted (8080 on the
    control request)."""
    applies(ctx, endpoint)
    path = ctx.receiver.mailbox("port-probe").path
    urls = [_probe_url(ctx, "http", port, path) for port in ALLOWED_PORTS if port != CONTROL_PORT]
    urls += [_probe_url(ctx, "http", None, path), _probe_url(ctx, "https", None, path)]
    answers = await asyncio.gather(
        control(ctx, endpoint), *(endpoint.submit(ctx, [("callback", u)]) for u in urls)
    )
    if all(answer.status == 400 for answer in answers):
        unless_refused_as_private(ctx, answers[0])
    refused = [answer.describe() for answer in answers if accepted_request_id(answer) is None]
    answered = [a for a in answers if a.status is not None and 200 <= a.status <= 299]
    if refused and len(answered) == len(answers):
        ctx.blocked(
            f"{endpoint.prefix}-ACCEPTED",
            f"all {len(refused)} callback URLs on allowed ports got a 2xx, but not an "
            f"acceptance; the first: {refused[0]}",
        )
    ctx.check(
        not refused,
        f"callback URLs on allowed ports were not accepted (an acceptance is a 2xx JSON object "
        f"with request_id and no results, as {endpoint.prefix}-ACCEPTED says): {refused}",
    )


async def attributable_refusals(ctx: CaseContext, endpoint: Endpoint) -> None:
    """Skip unless the target accepts an http callback URL on port 8080 of the receiver's host
    (the control): only then can its refusal of another port or scheme on that host be put down
    to the port or the scheme (a target refusing private hosts refuses every probe, proving
    nothing)."""
    exchange = await control(ctx, endpoint)
    if accepted_request_id(exchange) is not None:
        return
    if exchange.status is not None and 200 <= exchange.status <= 299:
        ctx.blocked(
            f"{endpoint.prefix}-ACCEPTED",
            f"control request: {exchange.describe()} is not an acceptance (a JSON object with "
            "request_id and no results), so a refusal of another port or scheme proves nothing",
        )
    unless_refused_as_private(ctx, exchange)
    ctx.skip(
        f"control request: {exchange.describe()}; the target refused an http callback URL on "
        f"port {CONTROL_PORT} of the suite's receiver host, an allowed port and scheme, so a "
        "refusal of another port or scheme on that host cannot be attributed to the port or "
        "the scheme"
    )


async def _expect_refused(ctx: CaseContext, endpoint: Endpoint, url: str, why: str) -> None:
    exchange = await endpoint.submit(ctx, [("callback", url)])
    if exchange.status != 400 or not exchange.content:
        raise CheckFailed(
            f"callback={url} ({why}): {exchange.describe()}; expected 400 with an error body"
        )


async def check_ports_refused(ctx: CaseContext, endpoint: Endpoint) -> None:
    """Every other port is refused: the boundary neighbours, then generated ports."""
    applies(ctx, endpoint, delivery=False)
    await attributable_refusals(ctx, endpoint)
    why = "only 80, 443, 8080 and 8443 are permitted"
    path = ctx.receiver.mailbox("port-probe").path

    async def refused(port: int) -> None:
        await _expect_refused(ctx, endpoint, _probe_url(ctx, "http", port, path), why)

    await asyncio.gather(*(refused(port) for port in NEIGHBOURS))
    ports = st.integers(1, 65535).filter(lambda port: port not in ALLOWED_PORTS)

    await explore(ctx, ports, refused)
    ctx.note(f"{len(NEIGHBOURS)} boundary ports and up to {ctx.config.examples} generated refused")


async def check_protocols(ctx: CaseContext, endpoint: Endpoint) -> None:
    """Callback URLs other than http and https are refused."""
    applies(ctx, endpoint, delivery=False)
    await attributable_refusals(ctx, endpoint)
    path = ctx.receiver.mailbox("protocol-probe").path
    bad = {
        _probe_url(ctx, "ws", 8080, path): "ws",
        _probe_url(ctx, "wss", 8443, path): "wss",
        _probe_url(ctx, "ftp", 8080, path): "ftp",
        _probe_url(ctx, "file", 8080, path): "file",
        "not a url": "not a URL",
        _probe_url(ctx, "http", 8080, path).replace("://", "//", 1): "not a URL (no colon)",
    }
    await asyncio.gather(
        *(
            _expect_refused(ctx, endpoint, url, f"{why}: only http and https are allowed")
            for url, why in bad.items()
        )
    )
    ctx.note(
        "every probe used an allowed port of a host the target accepts: only the scheme differs"
    )
