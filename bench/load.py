"""Conformance under load of the reference server: `conformance load` (Locust, every stream
judged) against it, with the server's CPU beside the load generator's.

    python bench/load.py [--streams 400] [--ramp 20] [--duration 30] [--workers 2]
    python bench/load.py --streams 0 --listen-rate 50 --callback-share 0.5 --duration 30

The reference server runs in its own process as bench/streams.py starts it; `conformance load`
holds --streams live streams of the mono clip repeated to 20 s, 16 kHz linear16 at 1x in 100 ms
frames, reached over --ramp seconds and held for --duration, from --workers Locust worker
processes. Printed: streams judged and the concurrency reached, violations by requirement,
latency from the end of each second of audio to the final Results covering it (which includes
the reference's endpointing: it cuts its finals at the clip's silences), the generators' CPU per
stream-second of audio, and the server's CPU and wait for a core. With --listen-rate, also
--listen-rate pre-recorded requests a second of the same clip (--callback-share of them with a
callback to the command's receiver): answer and callback latencies, and the CPU per request.
Not part of the test run.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from machine import describe
from stream_load import waited
from streams import API_KEY, _process_cpu, _start_server


def main() -> int:
    """Start the server, run the load against it, print the figures; load's exit code."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--streams", type=int, default=400)
    parser.add_argument("--ramp", type=float, default=20.0)
    parser.add_argument("--duration", type=float, default=30.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--listen-rate", type=float, default=0.0)
    parser.add_argument("--callback-share", type=float, default=0.0)
    args = parser.parse_args()
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    server, ws_url = _start_server(API_KEY)
    try:
        with tempfile.TemporaryDirectory() as reports:
            before = (_process_cpu(server.pid), waited(server.pid), time.monotonic())
            command = [
                sys.executable, "-m", "conformance", "load", "--target", ws_url,
                "--api-key", API_KEY, "--streams", str(args.streams), "--ramp", str(args.ramp),
                "--duration", str(args.duration), "--workers", str(args.workers),
                "--report-dir", reports,
            ]  # fmt: skip
            if args.listen_rate:
                command += ["--listen-rate", str(args.listen_rate),
                            "--callback-share", str(args.callback_share)]  # fmt: skip
            code = subprocess.run(command, check=False).returncode
            cpu, wait, wall = (
                now - then
                for now, then in zip(
                    (_process_cpu(server.pid), waited(server.pid), time.monotonic()),
                    before,
                    strict=True,
                )
            )
            found = json.loads((Path(reports) / "load.json").read_text())
    finally:
        server.terminate()
        server.wait(10)
    stream_seconds = found["opened"] * found["setup"]["stream_audio_s"]
    requests = (found.get("rest") or {}).get("requests", 0)
    per = [f"{cpu / stream_seconds * 1000:.2f} ms per stream-second"] if stream_seconds else []
    per += (
        [f"{cpu / requests * 1000:.2f} ms per request"] if requests and not stream_seconds else []
    )
    print(
        f"server CPU: {cpu / wall * 100:.0f}% of one core over {wall:.0f} s "
        f"({', '.join(per) or 'no load'}); runnable but "
        f"waiting for a core {wait / wall * 100:.0f}% of the time"
    )
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"machine: {describe()}")
    return code


if __name__ == "__main__":
    sys.exit(main())
