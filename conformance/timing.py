"""Every duration and tolerance the suite uses, in one place, waits scaled by one time scale."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

EMBEDDED_RETRY_DELAY = 0.25
"""Seconds between callback attempts of the embedded reference server (and declared for it):
short, yet well above the scheduling noise of a loaded machine, so too-fast retries still show."""
EMBEDDED_CALLBACK_TIMEOUT = 2.0
"""Seconds the embedded reference server waits for one callback attempt to be answered."""
EMBEDDED_STREAM_IDLE_TIMEOUT = 4.0
"""The embedded reference server's stream idle timeout: short so idle checks end quickly, long
enough that a loaded machine (the fault matrix runs suites in parallel) never idles a stream."""
EMBEDDED_OBSERVATION = 0.0
"""The embedded reference server logs requests and usage as it answers: no delay to allow."""
EMBEDDED_PACE = 20.0
"""Streaming speed against the embedded server, as a multiple of real time."""
TEARDOWN = 5.0
"""Seconds tasks still running when a run returns get to end after cancellation, before the
tool abandons them and exits (a bound on exiting, not a wait on the target: never scaled)."""
BACKOFF_FIRST = 0.5
"""Seconds before asking again after a first rate-limit refusal without Retry-After; doubles."""
BACKOFF_MOST = 8.0
"""The longest back-off pause between two attempts when the target names none."""
RETRY_AFTER_MOST = 30.0
"""The longest Retry-After honoured: a longer one is waited this long, then asked again."""
POOL_IDLE = 2.0
"""Seconds an idle pooled connection to the target is kept: well under the 5 s after which
common servers close idle connections, so a request never races the server's close."""


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
    stream_end_base: float = 10.0
    stream_message_base: float = 10.0
    stream_latency_base: float = 2.0

    # Tolerances: how far a measured value may stray from the expected one.
    duration_tolerance: float = 0.05
    """Seconds that metadata.duration and word/utterance ends may differ from the audio's."""
    gap_tolerance: float = 0.01
    """Seconds of rounding allowed when comparing silences between words with utt_split."""
    clock_skew: float = 900.0
    """Seconds that metadata.created may differ from the suite's clock."""
    idle_tolerance: float = 0.5
    """Fraction of the declared stream idle timeout by which the idle close may come late (or
    early), and by which KeepAlive streams are kept silent beyond it."""
    retry_tolerance: float = 0.10
    """Fraction of the declared retry delay by which callback attempt spacing may differ."""
    retry_slack: float = 1.0
    """Seconds of network and scheduling slack on spacing (early side: at most half the delay)."""
    delivery_base: float = 60.0
    """Deadline for a target to process a callback request and make its first attempt."""
    next_attempt_base: float = 2.0
    """Seconds past the latest accepted spacing that the suite waits for a further attempt."""
    observation_base: float = 60.0
    """How long a target may take to show a request in its request log and usage."""
    poll_first: float = 0.5
    """Seconds before looking again at something a target shows only eventually."""
    poll_most: float = 5.0
    """Longest pause between two looks (the pause doubles from poll_first)."""
    sender_timeout_base: float = 60.0
    """Deadline for a target to give up on a callback attempt the receiver never answers."""
    refusal_hold_base: float = 1.0
    """Seconds a callback address keeps refusing connections after a twin request's first
    attempt came, so that the target's first attempt there meets the refusal."""

    def spacing_bounds(self, delay: float) -> tuple[float, float]:
        """The (earliest, latest) accepted spacing of successive callback attempts."""
        early = min(self.retry_slack, delay / 2)
        return delay * (1 - self.retry_tolerance) - early, delay * (
            1 + self.retry_tolerance
        ) + self.retry_slack

    def first_delivery(self) -> float:
        """Deadline for a target to process a callback request and make its first attempt."""
        return self.delivery_base * self.scale

    def next_attempt(self, delay: float, seen: Sequence[float] = ()) -> float:
        """Deadline for the next attempt once the previous one was answered: the latest accepted
        spacing, or, once two spacings were seen, the target's own rhythm (its slowest spacing
        plus their spread) when that is sooner; plus slack either way."""
        latest = delay * (1 + self.retry_tolerance)
        if len(seen) >= 2:
            latest = min(latest, max(seen) + (max(seen) - min(seen)))
        return latest + self.next_attempt_base * self.scale

    def sender_timeout(self) -> float:
        """Deadline for a target to give up on an attempt the receiver never answers."""
        return self.sender_timeout_base * self.scale

    def refusal_hold(self, delay: float, retries: int) -> float:
        """How long a callback address refuses connections after the twin's first attempt:
        at most half the retry schedule, so the target still has retries left when it opens."""
        return min(self.refusal_hold_base * self.scale, delay * retries / 2)

    def callback_case(self, delay: float, retries: int) -> float:
        """Deadline for a callback case: processing, every attempt at its latest, one more
        spacing to see that none follows, and a hung attempt's timeout, on top of a case."""
        latest = self.next_attempt(delay)
        return self.case + self.first_delivery() + (retries + 1) * latest + self.sender_timeout()

    @property
    def observation(self) -> float:
        """Deadline for a request to show in the target's request log and usage."""
        return self.observation_base * self.scale

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

    @property
    def stream_end(self) -> float:
        """Deadline from a stream's shutdown signal (or a killed callback) to its close."""
        return self.stream_end_base * self.scale

    @property
    def stream_latency(self) -> float:
        """Slack on top of a declared stream timer (the idle timeout) for network and load."""
        return self.stream_latency_base * self.scale

    @property
    def stream_message(self) -> float:
        """Deadline for one expected stream message (a Finalize flush, the first Results)."""
        return self.stream_message_base * self.scale
