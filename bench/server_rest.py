"""Reference server throughput on pre-recorded audio, side by side with a bare Starlette
endpoint on the same stack (uvicorn, one process) returning a fixed JSON of the same size.

    python bench/server_rest.py [--seconds 10] [--connections 16]

Each server runs in its own process; the load comes from wrk (Debian's `wrk`) in another.
Two loads, each sent to both servers: the same 5 s WAV every time (the reference's analysis
cache answers), and distinct WAVs (their last two samples differ), each wrk thread cycling
through its own POOL of them, so the reference never finds one in its cache and analyses every
request anew. Prints requests per second for each, the reference's ratio to the bare
endpoint under the same load, and the machine. Not part of the test run.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from machine import describe

from conformance.wire import audio

BARE_APP = """
import sys
from starlette.applications import Starlette
from starlette.responses import Response
from starlette.routing import Route
BODY = open(sys.argv[1], "rb").read()
async def listen(request):
    await request.body()
    return Response(BODY, media_type="application/json")
app = Starlette(routes=[Route("/v1/listen", listen, methods=["POST"])])
if __name__ == "__main__":
    import socket
    import uvicorn
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.bind(("127.0.0.1", 0))
    sock.listen(1024)  # connections queue from here on, before uvicorn accepts them
    print(sock.getsockname()[1], flush=True)
    uvicorn.Server(uvicorn.Config(app, log_level="warning")).run(sockets=[sock])
"""

LUA_SAME = """
wrk.method = "POST"
wrk.headers["Authorization"] = "Token bench-key"
wrk.headers["Content-Type"] = "audio/wav"
local f = io.open("{wav}", "rb"); wrk.body = f:read("*a"); f:close()
"""

LUA_DISTINCT = """
local f = io.open("{wav}", "rb"); local base = f:read("*a"); f:close()
local threads = 0
setup = function(thread)
  threads = threads + 1
  thread:set("id", threads)
end
local pool, n = {{}}, 0
init = function()
  -- built once: wrk (LuaJIT) building a 190 KB string per request caps it near 300 req/s
  local head = base:sub(1, #base - 4)
  for k = 1, {pool} do
    pool[k] = wrk.format("POST", "/v1/listen",
      {{["Authorization"] = "Token bench-key", ["Content-Type"] = "audio/wav"}},
      head .. string.char(k % 256, math.floor(k / 256), id, 0))
  end
end
request = function()
  n = n % #pool + 1
  return pool[n]
end
"""
POOL = 64
"""Distinct bodies per wrk thread, sent in turn: far more than the reference caches (32)."""


def _wrk(url: str, script: Path, seconds: int, connections: int) -> float:
    done = subprocess.run(
        ["wrk", "-t", "2", "-c", str(connections), "-d", f"{seconds}s", "-s", str(script), url],
        capture_output=True,
        text=True,
        check=True,
    )
    match = re.search(r"Requests/sec:\s+([\d.]+)", done.stdout)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", done.stdout)
    if match is None or errors:
        raise SystemExit(f"wrk failed or got errors:\n{done.stdout}")
    return float(match.group(1))


def main() -> int:
    """Start each server, load it, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=16)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        print("wrk is not installed (apt-get install wrk)", file=sys.stderr)
        return 2
    work = Path(tempfile.mkdtemp())
    wav = work / "clip.wav"
    clip = audio.mono()
    wav.write_bytes(clip.wav)
    env = {**os.environ, "CONFORMANCE_REFERENCE_API_KEY": "bench-key"}
    reference = subprocess.Popen(
        [sys.executable, "-m", "conformance.reference", "--port", "0", "--ready-json"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert reference.stdout is not None
    reference_url = json.loads(reference.stdout.readline())["url"]  # printed once listening
    import httpx

    sample = httpx.post(
        f"{reference_url}/v1/listen",
        content=clip.wav,
        headers={"Authorization": "Token bench-key", "Content-Type": "audio/wav"},
    ).content
    (work / "body.json").write_bytes(sample)
    (work / "bare.py").write_text(BARE_APP)
    bare = subprocess.Popen(
        [sys.executable, str(work / "bare.py"), str(work / "body.json")],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert bare.stdout is not None
    bare_url = f"http://127.0.0.1:{int(bare.stdout.readline())}"  # printed once listening
    same, distinct = work / "same.lua", work / "distinct.lua"
    same.write_text(LUA_SAME.format(wav=wav))
    distinct.write_text(LUA_DISTINCT.format(wav=wav, pool=POOL))
    try:
        figures = {
            "bare_same_audio": _wrk(f"{bare_url}/v1/listen", same, args.seconds, args.connections),
            "reference_same_audio": _wrk(
                f"{reference_url}/v1/listen", same, args.seconds, args.connections
            ),
            "bare_distinct_audio": _wrk(
                f"{bare_url}/v1/listen", distinct, args.seconds, args.connections
            ),
            "reference_distinct_audio": _wrk(
                f"{reference_url}/v1/listen", distinct, args.seconds, args.connections
            ),
        }
    finally:
        for process in (reference, bare):
            process.terminate()
            process.wait(10)
    print(json.dumps({k: round(v, 1) for k, v in figures.items()}))
    print(
        f"response body {len(sample)} bytes, request body {len(clip.wav)} bytes "
        f"({clip.duration} s WAV), {args.connections} connections, {args.seconds} s each"
    )
    for kind in ("same_audio", "distinct_audio"):
        bare_rate, rate = figures[f"bare_{kind}"], figures[f"reference_{kind}"]
        print(
            f"reference_{kind}: {rate:.0f} req/s = {rate / bare_rate:.2f} of the bare "
            f"endpoint's {bare_rate:.0f} req/s on the same requests (target >= 0.50)"
        )
    print(f"machine: {describe()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
