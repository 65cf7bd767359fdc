"""The load processes, each started as `python -c BOOT ROLE ...` so gevent patches the standard
library before anything imports it: the master (alone, or with workers here or on other
machines) and the workers. The master reads the plan on stdin and prints one JSON document:
every stream's and every pre-recorded request's verdict, the generators' CPU, Locust's own
statistics."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from typing import Any

import gevent
import gevent.event
import locust
from locust.env import Environment
from locust.runners import MasterRunner, WorkerRunner

from conformance.load.plan import BOOT, LoadPlan
from conformance.load.swarm import (
    LATENCY,
    LISTEN,
    LISTEN_CALLBACK,
    STREAM,
    Collected,
    ListenUser,
    RampShape,
    StreamUser,
)

HELLO, PLAN = "conformance-hello", "conformance-plan"
"""Messages between master and workers, beside Locust's own: a worker says hello once it
listens for the plan (Locust's own connect comes before it could), the master answers with it."""
VERDICTS, REQUESTS = "conformance_verdicts", "conformance_requests"
CPU, STARTED = "conformance_cpu", "conformance_started"
"""Keys of a worker's statistics report: the stream and request verdicts since the last one,
its CPU and the streams and requests it began so far (Locust adds its user_count)."""
REPORTS_DEADLINE = 15.0
"""Seconds after the stop for the workers' last reports (Locust sends one every 3 s)."""


class LoadFailed(Exception):
    """The load run could not be carried out (said in one line)."""


def _environment(plan: LoadPlan | None) -> Environment:
    """Locust's environment: on the master, the users the plan asks for, the ramp and the stop
    timeout; on a worker, both users (the master names which to spawn)."""
    users: list[type[locust.User]] = [StreamUser, ListenUser]
    if plan is not None:
        users = [u for u, n in ((StreamUser, plan.streams), (ListenUser, plan.listen_users)) if n]
    return Environment(
        user_classes=users,
        shape_class=RampShape(plan) if plan else None,
        events=locust.events,
        stop_timeout=plan.user_deadline + REPORTS_DEADLINE if plan else None,
    )


def _stats(env: Environment) -> dict[str, Any]:
    """Locust's aggregated statistics of the latency samples, the streams and the requests,
    under its key."""
    out: dict[str, Any] = {}
    for name, kind in (
        (LATENCY, "WS"),
        (STREAM, "WS"),
        (LISTEN, "POST"),
        (LISTEN_CALLBACK, "POST"),
    ):
        entry = env.stats.get(name, kind)
        out[name] = {
            "count": entry.num_requests,
            "failures": entry.num_failures,
            "p50_ms": entry.get_response_time_percentile(0.5),
            "p99_ms": entry.get_response_time_percentile(0.99),
        }
    return {"locust": out}


def _alone(plan: LoadPlan) -> dict[str, Any]:
    """One process: Locust's local runner."""
    env = _environment(plan)
    stopped = gevent.event.Event()
    env.events.test_stop.add_listener(lambda **_: stopped.set())  # type: ignore[no-untyped-call]
    runner = env.create_local_runner()
    runner.start_shape()
    if not stopped.wait(plan.run_deadline):
        raise LoadFailed(f"the load run outlasted its deadline of {plan.run_deadline:g} s")
    runner.quit()
    verdicts, requests = Collected.drain()
    return {"verdicts": verdicts, "requests": requests, "cpu": Collected.cpu(), "processes": 1,
            "lost": Collected.started - len(verdicts) - len(requests), **_stats(env)}  # fmt: skip


def _spawn_workers(plan: LoadPlan) -> list[subprocess.Popen[bytes]]:
    """The local worker processes, connecting to this master over loopback."""
    command = [sys.executable, "-c", BOOT, "worker", "127.0.0.1", str(plan.master_port)]
    return [
        subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
        for _ in range(plan.workers)
    ]


def _distributed(plan: LoadPlan) -> dict[str, Any]:
    """A master and its workers: the plan to each as it says hello; the verdicts ride on the
    workers' statistics reports, until every worker has no user left and has sent one verdict
    per stream it began."""
    env = _environment(plan)
    expected = plan.workers + plan.remote_workers
    runner = env.create_master_runner("*", plan.master_port)
    assert isinstance(runner, MasterRunner)
    joined: set[str] = set()
    verdicts: list[dict[str, Any]] = []
    requests: list[dict[str, Any]] = []
    latest: dict[str, dict[str, Any]] = {}
    arrived, stopped, complete = (gevent.event.Event() for _ in range(3))

    def on_hello(environment: Environment, msg: Any, **_: Any) -> None:
        runner.send_message(PLAN, {"plan": plan.to_json()}, msg.node_id)
        joined.add(msg.node_id)
        if len(joined) >= expected:
            arrived.set()

    def done() -> bool:
        """No user left anywhere, and a verdict for every stream and request begun."""
        idle = all(r.get("user_count") == 0 for r in latest.values())
        begun = sum(r[STARTED] for r in latest.values())
        return idle and begun == len(verdicts) + len(requests)

    def on_report(client_id: str, data: dict[str, Any], **_: Any) -> None:
        verdicts.extend(data.get(VERDICTS, []))
        requests.extend(data.get(REQUESTS, []))
        latest[client_id] = data
        if stopped.is_set() and done():
            complete.set()

    env.events.test_stop.add_listener(lambda **_: stopped.set())  # type: ignore[no-untyped-call]
    env.events.worker_report.add_listener(on_report)  # type: ignore[no-untyped-call]
    runner.register_message(HELLO, on_hello)
    children = _spawn_workers(plan)
    try:
        if not arrived.wait(plan.arrival):
            raise LoadFailed(
                f"{len(joined)} of {expected} workers connected to port {plan.master_port} "
                f"within {plan.arrival:g} s"
            )
        runner.start_shape()
        if not stopped.wait(plan.run_deadline):
            raise LoadFailed(f"the load run outlasted its deadline of {plan.run_deadline:g} s")
        if not done():
            complete.wait(REPORTS_DEADLINE)  # past it, what came is judged; the rest are lost
        runner.quit()
    finally:
        for child in children:
            child.terminate()
            child.wait(10)
    started = sum(r[STARTED] for r in latest.values())
    cpu = Collected.cpu() + sum(r[CPU] for r in latest.values())
    return {"verdicts": verdicts, "requests": requests, "cpu": cpu, "processes": 1 + len(latest),
            "lost": started - len(verdicts) - len(requests), **_stats(env)}  # fmt: skip


def _worker(host: str, port: int) -> None:
    """A worker: streams and sends what the master's plan says, its verdicts in each statistics
    report. Locust ends it when the master quits (or 60 s after the master's heartbeat stops,
    if the master dies)."""
    env = _environment(None)
    runner = env.create_worker_runner(host, port)
    assert isinstance(runner, WorkerRunner)

    def on_plan(environment: Environment, msg: Any, **_: Any) -> None:
        Collected.receive(LoadPlan.from_json(msg.data["plan"]))

    def on_report(client_id: str, data: dict[str, Any], **_: Any) -> None:
        data[VERDICTS], data[REQUESTS] = Collected.drain()
        data[CPU] = Collected.cpu()
        data[STARTED] = Collected.started

    def on_stopped(**_: Any) -> None:
        """Its users are done: Locust's worker would now wait out the stop timeout again, deaf to
        the master's quit (its message loop sleeps), before it reads the quit; no wait instead."""
        env.stop_timeout = 0.0

    runner.register_message(PLAN, on_plan)
    env.events.report_to_master.add_listener(on_report)  # type: ignore[no-untyped-call]
    env.events.test_stop.add_listener(on_stopped)  # type: ignore[no-untyped-call]
    runner.send_message(HELLO)
    runner.greenlet.join()


def main() -> None:
    """`master` (the plan on stdin, the result on stdout) or `worker HOST PORT`."""
    logging.basicConfig(level=logging.ERROR, stream=sys.stderr, format="%(message)s")
    role = sys.argv[1]
    try:
        if role == "worker":
            _worker(sys.argv[2], int(sys.argv[3]))
            return
        plan = LoadPlan.from_json(sys.stdin.read())
        Collected.receive(plan)
        alone = plan.workers == 0 and plan.remote_workers == 0
        result = _alone(plan) if alone else _distributed(plan)
    except (LoadFailed, OSError) as error:
        print(f"load: {error}", file=sys.stderr)
        sys.exit(3)
    json.dump(result, sys.stdout)
