"""Every duration and tolerance the suite uses, in one place, waits scaled by one time scale."""

from __future__ import annotations

from dataclasses import dataclass

EMBEDDED_RETRY_DELAY = 0.05
"""Seconds between callback attempts of the embedded reference server (and declared for it)."""
EMBEDDED_STREAM_IDLE_TIMEOUT = 1.0
"""The embedded reference server's stream idle timeout, short so idle checks end quickly."""
EMBEDDED_PACE = 20.0
"""Streaming speed against the embedded server, as a multiple of real time."""


@dataclass(frozen=True)
class Timing:
    """Deadlines (seconds at scale 1, multiplied by `scale`) and tolerances (never scaled)."""

    scale: float = 1.0
    """Multiplies every deadline: above 1 for slow links, below 1 for fast local runs."""

    # Deadlines: how long the suite waits for something before giving up on it.
    connect_base: float = 10.0
    request_base: float = 60.0
    case_base: float = 300.0
    server_start_base: float = 30.0
    shutdown_base: float = 5.0

    # Tolerances: how far a measured value may stray from the expected one.
    duration_tolerance: float = 0.05
    """Seconds that metadata.duration and word/utterance ends may differ from the audio's."""
    gap_tolerance: float = 0.01
    """Seconds of rounding allowed when comparing silences between words with utt_split."""
    clock_skew: float = 900.0
    """Seconds that metadata.created may differ from the suite's clock."""

    @property
    def connect(self) -> float:
        """Deadline to open a connection or to get any first answer from the target."""
        return self.connect_base * self.scale

    @property
    def request(self) -> float:
        """Deadline for one HTTP exchange with the target (transcribing 6 s of audio)."""
        return self.request_base * self.scale

    @property
    def case(self) -> float:
        """Deadline for one case from start to verdict."""
        return self.case_base * self.scale

    @property
    def server_start(self) -> float:
        """Deadline for the embedded reference server to say it is listening."""
        return self.server_start_base * self.scale

    @property
    def shutdown(self) -> float:
        """Deadline for a server or receiver to stop after being asked to."""
        return self.shutdown_base * self.scale
