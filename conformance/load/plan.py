"""What a load run does, as one JSON document: the command hands it to the Locust master, the
master to every worker (on this machine or another), so all processes stream the same way."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, replace
from functools import cached_property
from typing import Any

from conformance.load.judge import Deadlines
from conformance.wire.codecs import FRAME_SECONDS, StreamAudio, stream_audio

BOOT = (
    "from gevent import monkey; monkey.patch_all(); import conformance.load.cluster as c; c.main()"
)
"""A load process's program (`python -c BOOT ROLE ...`): gevent patches first. The command,
which never imports Locust (nor gevent's patches), starts the load processes with it."""
PATH = "/v1/listen"
FRAME = FRAME_SECONDS
"""Seconds of audio per binary frame, as the suite's streams send it."""


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
    def arrival(self) -> float:
        """Longest the master waits for its workers: started here, or by hand elsewhere."""
        return self.connect + (300.0 if self.remote_workers else 30.0)

    @property
    def run_deadline(self) -> float:
        """Longest the whole run may take: workers' arrival, the shape, the last streams."""
        return self.arrival + self.ramp + self.duration + 2 * self.stream_deadline + 60

    def to_json(self) -> str:
        """The plan as the master reads it from stdin (the key inside: never on a command line)."""
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str | bytes) -> LoadPlan:
        """The plan read back."""
        fields: dict[str, Any] = json.loads(text)
        return cls(**{**fields, "deadlines": Deadlines(**fields["deadlines"])})
