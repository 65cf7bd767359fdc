"""What a case gets: the target client, shared fixtures, the receiver, and verdict helpers."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass, field
from typing import Any, NoReturn, TypeVar

from conformance.contract import shapes
from conformance.contract.catalogue import Catalogue
from conformance.errors import Blocked, CheckFailed, Skipped
from conformance.run.config import RunConfig
from conformance.wire.audio import TestAudio, mono
from conformance.wire.http import Exchange, Params, TargetClient, record
from conformance.wire.receiver import Receiver
from conformance.wire.redact import Redactor

LISTEN_PATH = "/v1/listen"
WRONG_KEY = "conformance-wrong-key-0000000000000000"
"""A key no target issued: AUTH and LISTEN-ERROR-BODY provoke its refusal."""
T = TypeVar("T")


class Fixtures:
    """Requests several cases share, each sent once per run however many cases read it."""

    def __init__(self, client: TargetClient) -> None:
        self._client = client
        self._memo: dict[tuple[str, tuple[tuple[str, str], ...]], asyncio.Task[Exchange]] = {}
        self._shared: dict[Hashable, asyncio.Task[Any]] = {}

    async def transcribe(self, clip: TestAudio, params: Params = ()) -> Exchange:
        """POST the clip to /v1/listen with these parameters (memoised) and record it."""
        key = (hashlib.sha256(clip.wav).hexdigest(), tuple(params))
        task = self._memo.get(key)
        if task is None:
            task = asyncio.ensure_future(
                self._client.request(
                    "POST",
                    LISTEN_PATH,
                    params=params,
                    content=clip.wav,
                    content_type=clip.content_type,
                )
            )
            task.add_done_callback(_retrieved)
            self._memo[key] = task
        exchange = await asyncio.shield(task)
        record(exchange)
        return exchange

    async def shared(self, key: Hashable, make: Callable[[], Awaitable[T]]) -> T:
        """Run `make` once per run for this key (a stream several cases read), share its result."""
        task = self._shared.get(key)
        if task is None:
            task = asyncio.ensure_future(make())
            task.add_done_callback(_retrieved)
            self._shared[key] = task
        result: T = await asyncio.shield(task)
        return result


def _retrieved(task: asyncio.Future[Any]) -> None:
    """Mark a shared task's exception as seen: each case awaiting it reports it, and one a
    stopped run no longer awaits must not be printed as 'never retrieved'."""
    if not task.cancelled():
        task.exception()


class Cleanups:
    """Undo actions for what cases create on the target (API keys), run once when the run
    ends, whether its cases passed, failed or timed out; what could not be undone is told."""

    def __init__(self) -> None:
        self._actions: list[tuple[str, Callable[[], Awaitable[object]]]] = []
        self._making: set[asyncio.Task[Any]] = set()

    async def making(self, make: Awaitable[T]) -> T:
        """Create something and register its undo action (within `make`), shielded: a run
        stopped mid-request still learns what the target created, and undoes it."""
        task = asyncio.ensure_future(make)
        self._making.add(task)
        task.add_done_callback(self._making.discard)
        return await asyncio.shield(task)

    def add(self, what: str, action: Callable[[], Awaitable[object]]) -> None:
        """Register an undo action the moment there is something to undo (`what` names it,
        never with a secret: it is printed when the action fails)."""
        self._actions.append((what, action))

    def done(self, what: str) -> None:
        """Drop the undo action of something a case has undone itself (a key it deleted and saw
        gone), so the run does not ask the target again."""
        self._actions = [(name, action) for name, action in self._actions if name != what]

    async def run(self, deadline: float) -> list[str]:
        """Run every action concurrently within the deadline; one failing stops no other.
        Returns, for each action that raised or did not finish in time, what it was and why."""
        ends = asyncio.get_running_loop().time() + deadline
        if self._making:  # creations a stopped run no longer awaits: let them register
            made, _ = await asyncio.wait(self._making, timeout=deadline)
            for task in made:
                if not task.cancelled():
                    task.exception()  # retrieved: the case that asked for it reports it
        actions, self._actions = self._actions, []
        if not actions:
            return []
        tasks = [asyncio.ensure_future(action()) for _, action in actions]
        left = max(0.0, ends - asyncio.get_running_loop().time())
        done, pending = await asyncio.wait(tasks, timeout=left)
        for task in pending:
            task.cancel()
        return [
            f"{what} ({_why_not_undone(task, done, deadline)})"
            for (what, _), task in zip(actions, tasks, strict=True)
            if task not in done or task.cancelled() or task.exception() is not None
        ]


def _why_not_undone(task: asyncio.Future[object], done: set[Any], deadline: float) -> str:
    """Why an undo action did not succeed, in a few words."""
    if task not in done:
        return f"not done within {deadline:g} s"
    if task.cancelled():
        return "cancelled"
    error = task.exception()
    return str(error) or type(error).__name__


@dataclass
class CaseContext:
    """Everything one case needs; the engine builds a fresh one per case."""

    config: RunConfig
    catalogue: Catalogue
    client: TargetClient
    fixtures: Fixtures
    receiver: Receiver
    redactor: Redactor
    cleanups: Cleanups = field(default_factory=Cleanups)
    """The run's undo actions (shared by every case of the run)."""
    notes: list[str] = field(default_factory=list)
    reproducer: str | None = None
    """Set by cases whose failure a curl command cannot show (streams, callbacks)."""
    callbacks: dict[str, dict[str, Any]] = field(default_factory=dict)
    """The timeline of callback attempts at each of the case's mailboxes, by path."""
    rests_on: Exchange | None = None
    """The exchange the verdict rests on, which the reproducer repeats (else the last one)."""
    literal_authorization: str | None = None
    """The Authorization the reproducer sends as is, where a credential that is no secret (an
    unknown key) was the point of the exchange; otherwise $DEEPGRAM_API_KEY stands in."""

    def secret(self, value: str, *exchanges: Exchange) -> None:
        """A secret the target just handed out: redacted from now on, and from these exchanges'
        evidence, which was recorded before the suite knew it."""
        self.redactor.add(value)
        for exchange in exchanges:
            exchange.response_body = self.redactor.text(exchange.response_body)

    def note(self, text: str) -> None:
        """Add a line of evidence that is not an exchange (a measurement, a generated input)."""
        self.notes.append(text)

    def fail(self, message: str, on: Exchange | None = None) -> NoReturn:
        """End the case: the target broke the requirement (in exchange `on`, if given)."""
        if on is not None:
            self.rests_on = on
        raise CheckFailed(message)

    def check(self, condition: bool, message: str, on: Exchange | None = None) -> None:
        """Fail with `message` unless `condition` holds (see fail)."""
        if not condition:
            self.fail(message, on)

    @staticmethod
    def skip(reason: str) -> NoReturn:
        """End the case: the requirement does not apply here."""
        raise Skipped(reason)

    @staticmethod
    def blocked(prerequisite: str, reason: str) -> NoReturn:
        """End the case: what it needs is missing, and `prerequisite` is the requirement that
        judges that; the engine skips this one as blocked by it (or fails it, if it passed)."""
        raise Blocked(prerequisite, reason)

    async def transcribe(self, clip: TestAudio, params: Params = ()) -> Exchange:
        """A shared transcription request (see Fixtures)."""
        return await self.fixtures.transcribe(clip, params)

    async def listen_route(self) -> None:
        """Blocked by LISTEN-RAW-BODY unless a valid request (the run's key, plain WAV) is
        transcribed: a refusal on a route that refuses everything proves nothing."""
        control = await self.transcribe(mono())
        if control.status != 200:
            raise Blocked(
                LISTEN_ROUTE,
                f"control request: {control.describe()} to a valid request with the run's key, "
                "so POST /v1/listen is not shown to exist and a refusal there proves nothing",
            )

    async def transcription(self, clip: TestAudio, params: Params = ()) -> dict[str, Any]:
        """The JSON of a successful transcription, or blocked naming what went wrong."""
        return expect_transcription(await self.transcribe(clip, params))


ROUTE_MISSING = frozenset({404, 405})
"""Statuses saying the route itself is absent, not that the request was refused."""
LISTEN_ROUTE = "LISTEN-RAW-BODY"
"""The requirement whose valid request shows POST /v1/listen exists and transcribes."""
LISTEN_SHAPE = "LISTEN-SCHEMA"
"""The requirement that judges whether a transcription is one (schemas/listen-response.json)."""


def expect_accepted(exchange: Exchange) -> None:
    """Blocked by LISTEN-RAW-BODY unless a listen request was answered 200 (a case that asks
    only for acceptance fails instead when plain audio is accepted: see Blocked)."""
    if exchange.status != 200:
        raise Blocked(
            LISTEN_ROUTE,
            f"{exchange.describe()}: expected 200 with a transcription; "
            f"body: {exchange.response_body[:200]!r}",
        )


def expect_transcription(exchange: Exchange) -> dict[str, Any]:
    """The body of a 200 that is a transcription (schemas/listen-response.json); blocked by
    LISTEN-RAW-BODY for any other status, by LISTEN-SCHEMA for any other body."""
    expect_accepted(exchange)
    try:
        body = exchange.json()
    except CheckFailed as failed:
        raise Blocked(LISTEN_SHAPE, str(failed)) from None
    problems = shapes.problems("listen", body)
    if problems:
        raise Blocked(
            LISTEN_SHAPE,
            f"{exchange.describe()}: the body is not a transcription that "
            f"schemas/listen-response.json accepts: {problems[0]}",
        )
    assert isinstance(body, dict)
    return body


def error_body_problem(exchange: Exchange) -> str | None:
    """Why a refusal's body is not a documented error, or None: JSON valid against
    schemas/error.json, or non-empty plain text for a route or resource not found (the Errors
    page shows a 404 as text; the official ErrorResponse has a plain-text variant)."""
    if (
        exchange.status in ROUTE_MISSING
        and exchange.content_type == "text/plain"
        and exchange.response_body.strip()
    ):
        return None
    if exchange.content_type != "application/json":
        return (
            f"{exchange.describe()}: content type is not application/json; "
            f"body {exchange.response_body[:100]!r}"
        )
    problem = schema_problem(exchange, "error")
    if problem:
        return f"{exchange.describe()}: {problem}; body {exchange.response_body[:100]!r}"
    return None


def schema_problem(exchange: Exchange, kind: str) -> str | None:
    """The first reason an answer's body is not JSON valid against a schema of
    conformance/shapes.py, or None."""
    try:
        problems = shapes.problems(kind, exchange.json())
    except CheckFailed as failed:
        return str(failed)
    return problems[0] if problems else None


def body_request_id(exchange: Exchange) -> Any:
    """The request_id of a JSON object body, or None (an error body may be plain text): what
    a dg-request-id header must equal where there is one."""
    try:
        body = exchange.json()
    except CheckFailed:
        return None
    return body.get("request_id") if isinstance(body, dict) else None
