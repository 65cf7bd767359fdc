"""The Locust side, in load processes only (gevent-patched): a User that holds one live stream
after another at 1x real time, feeding a StreamJudge; a User that sends pre-recorded requests
at the pace Locust's constant_throughput sets, each judged by rest.py; and the shape that ramps
both."""

from __future__ import annotations

import math
import resource
import time
import uuid
from dataclasses import asdict
from typing import Any
from urllib.parse import urlencode

import gevent
import requests
import websocket
from locust import LoadTestShape, User, constant, constant_throughput, task

from conformance.load import rest
from conformance.load.judge import CLOSE_STREAM, StreamJudge, Verdict
from conformance.load.plan import FRAME, PATH, LoadPlan

LATENCY = "final Results latency"
STREAM = "stream"
"""Names of the samples Locust's own statistics get (request type WS)."""
LISTEN = "pre-recorded"
LISTEN_CALLBACK = "pre-recorded with callback"
"""Names of the pre-recorded requests' samples (request type POST): request to answer."""
GOLDEN = 0.6180339887
"""Step between users' phases: any run of users spreads evenly over the period."""


def cpu_seconds() -> float:
    """CPU this process has used: the load generator's own cost."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class Collected:
    """What this process holds until the master asks: the plan, and each stream's verdict."""

    plan: LoadPlan | None = None
    verdicts: list[dict[str, Any]] = []  # noqa: RUF012 (one per process, on purpose)
    requests: list[dict[str, Any]] = []  # noqa: RUF012 (one per process, on purpose)
    started = 0
    """Streams and requests begun here: each leaves exactly one verdict, so the master can tell
    it has all."""
    sent = 0
    """Pre-recorded requests sent here: which of them ask for a callback follows from it."""
    phases = 0
    """Listen users started here: each starts at its own phase of the period."""
    cpu_at_plan = 0.0
    """CPU used before the plan came (start-up, imports): not the load's."""

    @classmethod
    def receive(cls, plan: LoadPlan) -> None:
        """Take the plan; the CPU spent from now on is the load's."""
        cls.plan, cls.cpu_at_plan = plan, cpu_seconds()
        StreamUser.weight, ListenUser.weight = plan.streams, plan.listen_users
        ListenUser.wait_time = constant_throughput(plan.per_user_rate or 1.0)

    @classmethod
    def drain(cls) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """The stream and request verdicts so far, handed over once."""
        out, cls.verdicts, requests_, cls.requests = cls.verdicts, [], cls.requests, []
        return out, requests_

    @classmethod
    def with_callback(cls) -> bool:
        """Whether the next request asks for a callback: the plan's share of them, evenly."""
        plan = cls.plan
        assert plan is not None
        n, cls.sent = cls.sent, cls.sent + 1
        share = plan.callback_share
        return math.floor((n + 1) * share) > math.floor(n * share)

    @classmethod
    def cpu(cls) -> float:
        """CPU seconds this process has spent on the load since the plan came."""
        return cpu_seconds() - cls.cpu_at_plan


class RampShape(LoadTestShape):
    """All streams and listen users reached at Locust's own spawn rate over the ramp (weighted
    by their counts, so the rate grows with the streams), held for the duration."""

    def __init__(self, plan: LoadPlan) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self.plan = plan

    def tick(self) -> tuple[int, float] | None:
        """(users, spawn rate) until the ramp and the duration have passed."""
        plan = self.plan
        if self.get_run_time() >= plan.ramp + plan.duration:  # type: ignore[no-untyped-call]
            return None
        users = plan.streams + plan.listen_users
        return users, users / plan.ramp if plan.ramp > 0 else float(users)


def _receive(ws: websocket.WebSocket, judge: StreamJudge) -> None:
    """Feed the judge every server frame until the server closes or the connection drops."""
    while True:
        try:
            opcode, frame = ws.recv_data_frame(control_frame=True)
        except (websocket.WebSocketException, OSError):
            judge.closing(None, "", time.monotonic())
            return
        at = time.monotonic()
        if opcode == websocket.ABNF.OPCODE_CLOSE:
            data = bytes(frame.data)
            code = int.from_bytes(data[:2], "big") if len(data) >= 2 else None
            judge.closing(code, data[2:].decode(errors="replace"), at)
            return
        if opcode in (websocket.ABNF.OPCODE_PING, websocket.ABNF.OPCODE_PONG):
            continue  # a keep-alive ping (answered by the client), not a message
        if opcode == websocket.ABNF.OPCODE_TEXT:
            text = frame.data.decode(errors="replace") if isinstance(frame.data, bytes) else frame
            judge.received(str(text), len(frame.data), at)
        else:
            judge.received(None, len(frame.data), at)


class StreamUser(User):
    """One slot of concurrency: streams the plan's audio, then the next stream, until stopped
    (Locust lets the stream in progress finish, within the stop timeout)."""

    wait_time = constant(0)

    @task
    def stream(self) -> None:
        """One stream from upgrade to close, within the plan's stream deadline."""
        plan = Collected.plan
        assert plan is not None, "the master sends the plan before any user starts"
        Collected.started += 1
        judge = StreamJudge(
            plan.url, plan.audio.bytes_per_second, plan.audio.channels, plan.deadlines, time.time()
        )
        with gevent.Timeout(plan.stream_deadline, False):
            verdict = self._stream(plan, judge)
            self._record(verdict)
            return
        judge.gave_up()
        self._record(judge.verdict(time.time()))

    def _stream(self, plan: LoadPlan, judge: StreamJudge) -> Verdict:
        """Upgrade, send the frames on their schedule and CloseStream, wait for the close."""
        began = time.time()
        try:
            ws = websocket.create_connection(
                plan.url,
                timeout=plan.connect,
                header=[f"Authorization: Token {plan.api_key}"],
                enable_multithread=True,
            )
        except (websocket.WebSocketException, OSError) as error:
            reason = str(error).replace(plan.api_key, "[REDACTED]").splitlines()[0:1]
            why = f"{type(error).__name__}: {reason[0] if reason else ''}".strip(": ")
            return Verdict(began, time.time(), not_opened=why)
        ws.settimeout(None)  # the stream deadline bounds every wait
        start = time.monotonic()
        judge.opened(start)
        receiver = gevent.spawn(_receive, ws, judge)
        try:
            for index, frame in enumerate(plan.audio.frames(FRAME)):
                gevent.sleep(max(0.0, start + index * FRAME - time.monotonic()))
                if receiver.dead:
                    break
                ws.send_binary(frame)
                judge.sent_audio(frame, time.monotonic())
            if not receiver.dead:
                ws.send(CLOSE_STREAM)
                judge.sent_close_stream(time.monotonic())
            receiver.join(plan.deadlines.end)
            if not receiver.dead:
                judge.gave_up()
        except (websocket.WebSocketException, OSError):
            receiver.join(plan.deadlines.end)
        finally:
            receiver.kill()
            ws.shutdown()  # type: ignore[no-untyped-call]
        return judge.verdict(time.time())

    def _record(self, verdict: Verdict) -> None:
        """Keep the verdict for the master, and give Locust's statistics their samples: each
        second's latency, and each stream (failed with the requirements it broke)."""
        Collected.verdicts.append(asdict(verdict))
        fire = self.environment.events.request.fire
        for _, latency in verdict.latencies:
            fire(request_type="WS", name=LATENCY, response_time=latency * 1000, response_length=0)
        broken = verdict.not_opened or ", ".join(sorted(verdict.failed))
        fire(
            request_type="WS",
            name=STREAM,
            response_time=(verdict.ended_at - verdict.opened_at) * 1000,
            response_length=0,
            exception=Exception(broken) if broken else None,
        )


class ListenUser(User):
    """A share of the rate: a pre-recorded request every 1 / per_user_rate seconds, paced by
    Locust's constant_throughput (set from the plan), on a keep-alive session of its own."""

    wait_time = constant_throughput(1.0)

    def on_start(self) -> None:
        """A session per user (its connections reused from one request to the next), and the
        user's phase: its first request waits a fraction of its period, spread evenly over the
        users (golden-ratio steps), and Locust's pacing counts from there, so that the users
        spawned together do not send together."""
        self.session = requests.Session()
        self.session.trust_env = False  # the target only: no proxy from the environment
        plan = Collected.plan
        assert plan is not None, "the master sends the plan before any user starts"
        Collected.phases += 1
        gevent.sleep((Collected.phases * GOLDEN % 1.0) / plan.per_user_rate)
        self._cp_last_run = time.perf_counter()  # constant_pacing's origin: this phase

    def on_stop(self) -> None:
        """Close the user's connections."""
        self.session.close()

    @task
    def listen(self) -> None:
        """One POST /v1/listen of the plan's clip, judged; within the request deadline."""
        plan = Collected.plan
        assert plan is not None, "the master sends the plan before any user starts"
        Collected.started += 1
        clip = plan.listen_audio
        tag = uuid.uuid4().hex if Collected.with_callback() else None
        url = f"{plan.http_target}{PATH}"
        if tag is not None:
            url += "?" + urlencode({"callback": f"{plan.callback_url}?{rest.TAG}={tag}"})
        verdict = rest.RequestVerdict(time.time(), tag)
        began = time.monotonic()
        with gevent.Timeout(plan.request_deadline + 1, False):
            try:
                self._send(plan, url, clip.wav, verdict, began)
            except gevent.GreenletExit:
                # Locust's stop killed the user as it woke from its wait (the kill races the
                # wake-up): a request the harness cut off, not the target's to answer for
                Collected.started -= 1
                raise
            self._record(verdict)
            return
        verdict.not_answered = f"no answer within {plan.request_deadline:g} s"
        self._record(verdict)

    def _send(
        self, plan: LoadPlan, url: str, wav: bytes, verdict: rest.RequestVerdict, began: float
    ) -> None:
        """Send the request and judge its answer."""
        clip = plan.listen_audio
        try:
            answer = self.session.post(
                url,
                data=wav,
                headers={"Authorization": f"Token {plan.api_key}", "Content-Type": "audio/wav"},
                timeout=(plan.connect, plan.request_deadline),
            )
        except (requests.RequestException, OSError) as error:
            reason = str(error).replace(plan.api_key, "[REDACTED]").splitlines()[0:1]
            why = f"{type(error).__name__}: {reason[0] if reason else ''}".strip(": ")
            verdict.not_answered = why
            return
        verdict.answered_after = time.monotonic() - began
        sent = rest.sent_of(wav, clip.duration, clip.channels, plan.deadlines.duration_tolerance)
        rest.answered(verdict, url, answer.status_code, dict(answer.headers), answer.content, sent)

    def _record(self, verdict: rest.RequestVerdict) -> None:
        """Keep the verdict for the master, and give Locust's statistics their sample (failed
        with the requirements it broke)."""
        Collected.requests.append(asdict(verdict))
        broken = verdict.not_answered or ", ".join(sorted(verdict.failed))
        self.environment.events.request.fire(
            request_type="POST",
            name=LISTEN_CALLBACK if verdict.tag else LISTEN,
            response_time=(verdict.answered_after or 0.0) * 1000,
            response_length=0,
            exception=Exception(broken) if broken else None,
        )
