"""What a load run does, as one JSON document: the command hands it to the Locust master, the
master to every worker (on this machine or another), so all processes stream and send
pre-recorded requests the same way."""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, replace
from functools import cached_property
from typing import Any

from conformance.load.judge import Deadlines
from conformance.wire import audio as clips
from conformance.wire.codecs import FRAME_SECONDS, StreamAudio, stream_audio

BOOT = (
    "from gevent import monkey; monkey.patch_all(); import conformance.load.cluster as c; c.main()"
)
"""A load process's program (`python -c BOOT ROLE ...`): gevent patches first. The command,
which never imports Locust (nor gevent's patches), starts the load processes with it."""
PATH = "/v1/listen"
FRAME = FRAME_SECONDS
"""Seconds of audio per binary frame, as the suite's streams send it."""
SLACK = 4.0
"""Seconds a pre-recorded request may take before Locust's pacing falls behind the rate: each
listen user sends one request every SLACK seconds (constant_throughput), so the rate R takes
R x SLACK users."""


@dataclass(frozen=True)
class LoadPlan:
    """The target, the streams and their shape over time, the deadlines, the processes."""

    ws_target: str
    """ws:// or wss:// base of the target (no path)."""
    api_key: str
    streams: int
    ramp: float
    duration: float
    clip: str
    stream_seconds: float
    """Each stream sends its clip repeated until at least this much audio."""
    deadlines: Deadlines
    connect: float
    """Deadline of one upgrade, and of the workers' arrival at the master."""
    workers: int = 0
    """Local worker processes (0: the master streams alone, in one process)."""
    remote_workers: int = 0
    """Workers on other machines the master waits for (--master)."""
    master_host: str = "127.0.0.1"
    master_port: int = 5557
    http_target: str = ""
    """http:// or https:// base of the target (no path), for the pre-recorded requests."""
    listen_rate: float = 0.0
    """Pre-recorded requests per second to reach over the ramp (0: none)."""
    callback_share: float = 0.0
    """The share of them sent with a callback."""
    callback_url: str = ""
    """The command's receiver's callback URL (each request adds its tag), "" without callbacks."""
    request_deadline: float = 60.0
    """Longest a pre-recorded request may take to be answered."""

    @property
    def listen_users(self) -> int:
        """Locust users that hold the rate, each paced by constant_throughput."""
        return math.ceil(self.listen_rate * SLACK) if self.listen_rate > 0 else 0

    @property
    def per_user_rate(self) -> float:
        """Requests per second of each listen user."""
        return self.listen_rate / self.listen_users if self.listen_users else 0.0

    @cached_property
    def listen_audio(self) -> clips.TestAudio:
        """The clip each pre-recorded request sends, as a WAV file (the streams' clip)."""
        return clips.CLIPS[self.clip]()

    @cached_property
    def audio(self) -> StreamAudio:
        """The clip as raw 16 kHz linear16, repeated to the stream length."""
        clip = stream_audio(self.clip)
        times = max(1, -int(-self.stream_seconds // clip.duration))
        return replace(clip, data=clip.data * times)

    @property
    def url(self) -> str:
        """The stream's URL, its audio described in the query as the suite's streams do."""
        query = "&".join(f"{k}={v}" for k, v in self.audio.params)
        return f"{self.ws_target}{PATH}?{query}"

    @property
    def stream_deadline(self) -> float:
        """Longest a stream may take, from its upgrade to its close."""
        return self.connect + self.audio.duration + self.deadlines.message + self.deadlines.end

    @property
    def user_deadline(self) -> float:
        """Longest one user's turn (a stream, or a request) may take once the shape stops."""
        return max(self.stream_deadline if self.streams else 0.0, self.request_deadline)

    @property
    def arrival(self) -> float:
        """Longest the master waits for its workers: started here, or by hand elsewhere."""
        return self.connect + (300.0 if self.remote_workers else 30.0)

    @property
    def run_deadline(self) -> float:
        """Longest the whole run may take: workers' arrival, the shape, the last streams."""
        return self.arrival + self.ramp + self.duration + 2 * self.user_deadline + 60

    def to_json(self) -> str:
        """The plan as the master reads it from stdin (the key inside: never on a command line)."""
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str | bytes) -> LoadPlan:
        """The plan read back."""
        fields: dict[str, Any] = json.loads(text)
        return cls(**{**fields, "deadlines": Deadlines(**fields["deadlines"])})
