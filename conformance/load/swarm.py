"""The Locust side, in load processes only (gevent-patched): a User that holds one live stream
after another at 1x real time, feeding a StreamJudge, and the shape that ramps the users."""

from __future__ import annotations

import resource
import time
from dataclasses import asdict
from typing import Any

import gevent
import websocket
from locust import LoadTestShape, User, constant, task

from conformance.load.judge import CLOSE_STREAM, StreamJudge, Verdict
from conformance.load.plan import FRAME, LoadPlan

LATENCY = "final Results latency"
STREAM = "stream"
"""Names of the samples Locust's own statistics get (request type WS)."""


def cpu_seconds() -> float:
    """CPU this process has used: the load generator's own cost."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class Collected:
    """What this process holds until the master asks: the plan, and each stream's verdict."""

    plan: LoadPlan | None = None
    verdicts: list[dict[str, Any]] = []  # noqa: RUF012 (one per process, on purpose)
    started = 0
    """Streams begun here: each leaves exactly one verdict, so the master can tell it has all."""
    cpu_at_plan = 0.0
    """CPU used before the plan came (start-up, imports): not the load's."""

    @classmethod
    def receive(cls, plan: LoadPlan) -> None:
        """Take the plan; the CPU spent from now on is the load's."""
        cls.plan, cls.cpu_at_plan = plan, cpu_seconds()

    @classmethod
    def drain(cls) -> list[dict[str, Any]]:
        """The verdicts so far, handed over once."""
        out, cls.verdicts = cls.verdicts, []
        return out

    @classmethod
    def cpu(cls) -> float:
        """CPU seconds this process has spent on the load since the plan came."""
        return cpu_seconds() - cls.cpu_at_plan


class RampShape(LoadTestShape):
    """All streams reached at Locust's own spawn rate over the ramp, held for the duration."""

    def __init__(self, plan: LoadPlan) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self.plan = plan

    def tick(self) -> tuple[int, float] | None:
        """(users, spawn rate) until the ramp and the duration have passed."""
        plan = self.plan
        if self.get_run_time() >= plan.ramp + plan.duration:  # type: ignore[no-untyped-call]
            return None
        return plan.streams, plan.streams / plan.ramp if plan.ramp > 0 else float(plan.streams)


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
