"""Running the tool and the reference server the way tests need: the CLI in this process or in
another, a reference server on a thread or from `conformance serve`, a raw TCP server."""

from __future__ import annotations

import io
import json
import logging
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager, redirect_stderr, redirect_stdout

from conformance.cli.commands import main
from conformance.reference import Settings, create_app
from conformance.reference.serving import running
from conformance.timing import (
    EMBEDDED_CALLBACK_TIMEOUT,
    EMBEDDED_RETRY_DELAY,
    EMBEDDED_STREAM_IDLE_TIMEOUT,
)

PYTHON = sys.executable


SERVER_TIMING = ["--retry-delay", "0.25", "--stream-idle-timeout", "4", "--callback-timeout", "2"]
"""The reference() servers run with the embedded server's short timings ..."""
RUN_TIMING = ["--retry-delay", "0.25", "--stream-idle-timeout", "4", "--pace", "20"]
"""... and runs against them declare the same, as the embedded mode does by itself."""


def run_cli(
    *args: str, env: dict[str, str] | None = None, timeout: float = 180
) -> subprocess.CompletedProcess[str]:
    """`conformance ARGS` in a second interpreter, as a user's shell runs it."""
    if args[:1] == ("run",) and "--target" in args:
        args = ("run", *RUN_TIMING, *args[1:])  # the run's own flags have the last word
    return subprocess.run(
        [PYTHON, "-m", "conformance", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
        stdin=subprocess.DEVNULL,
    )


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """`conformance ARGS` through the entry point the console script calls, in this process
    (a second interpreter costs about 1 s of CPU to start), with what a process would print:
    stdout, stderr and the tool's logged warnings. A run against a --target declares RUN_TIMING
    unless its own flags say otherwise."""
    if args[:1] == ("run",) and "--target" in args:
        args = ("run", *RUN_TIMING, *args[1:])
    out, err = io.StringIO(), io.StringIO()
    warnings = logging.StreamHandler(err)
    warnings.setLevel(logging.WARNING)
    log = logging.getLogger("conformance")
    saved = {name: os.environ.get(name) for name in env or {}}
    os.environ.update(env or {})
    log.addHandler(warnings)
    try:
        with redirect_stdout(out), redirect_stderr(err):
            code = main(list(args))
    finally:
        log.removeHandler(warnings)
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name)
            else:
                os.environ[name] = value
    return subprocess.CompletedProcess(["conformance", *args], code, out.getvalue(), err.getvalue())


@contextmanager
def served(*faults: str, api_key: str = "cli-test-key", private: bool = True) -> Iterator[str]:
    """reference() in this process, on a thread: the same server with the same timings, without
    a second interpreter. Its streams share this process with the test's own work, so tests
    timing streams finely use reference()."""
    settings = Settings(
        api_key=api_key,
        faults=frozenset(faults),
        allow_private_urls=private,
        allow_private_callbacks=private,
        retry_delay=EMBEDDED_RETRY_DELAY,
        callback_timeout=EMBEDDED_CALLBACK_TIMEOUT,
        stream_idle_timeout=EMBEDDED_STREAM_IDLE_TIMEOUT,
    )
    with running(create_app(settings)) as url:
        yield url


@contextmanager
def reference(*args: str, api_key: str = "cli-test-key", private: bool = True) -> Iterator[str]:
    """A reference server from `conformance serve` on a free port; yields its URL. With
    `private=False` it refuses loopback and private audio and callback URLs, as a careful
    target does."""
    process = subprocess.Popen(
        [
            PYTHON,
            "-m",
            "conformance",
            "serve",
            "--port",
            "0",
            "--ready-json",
            *(("--allow-private-urls", "--allow-private-callbacks") if private else ()),
            *SERVER_TIMING,
            *args,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        stdin=subprocess.DEVNULL,
        env={**os.environ, "CONFORMANCE_REFERENCE_API_KEY": api_key},
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()  # the server prints one line when listening
        assert line, process.stderr.read() if process.stderr else "no output"
        yield json.loads(line)["url"]
    finally:
        process.terminate()
        process.wait(timeout=10)


@contextmanager
def raw_server(reply: bytes | None) -> Iterator[str]:
    """A TCP server that answers every connection with `reply` and closes, or never answers."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    held: list[socket.socket] = []
    stop = threading.Event()

    def serve() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                continue
            if reply is None:
                held.append(connection)
            else:
                connection.recv(65536)
                connection.sendall(reply)
                connection.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stop.set()
        thread.join(5)
        for connection in held:
            connection.close()
        listener.close()
