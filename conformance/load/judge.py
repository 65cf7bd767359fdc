"""One live stream judged sans I/O: the load generator feeds it what it sent and received, with
times, and gets verdicts by requirement ID. The message rules are `conformance validate`'s
(capture/stream.py); beside them, the rules that need the audio sent or the clock."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from conformance.capture import stream as capture_stream
from conformance.capture.model import Finding, Frame, Session

FULL_DUPLEX = "STREAM-FULL-DUPLEX"
SEQUENCE = "STREAM-SHUTDOWN-SEQUENCE"
METADATA = "STREAM-METADATA"
CLOSESTREAM = "STREAM-SHUTDOWN-CLOSESTREAM"
CODE = "STREAM-SHUTDOWN-CODE"
IDLE = "STREAM-IDLE-TIMEOUT"
CLOSE_STREAM = json.dumps({"type": "CloseStream"})
"""The client's shutdown request, as the load generator sends it."""


@dataclass(frozen=True)
class Deadlines:
    """How long a stream may wait (scaled deadlines of conformance/timing.py) and how far a
    Metadata duration may stray from the audio's (a tolerance, never scaled)."""

    message: float
    """End of a second of audio to the final Results covering it (STREAM-FULL-DUPLEX)."""
    end: float
    """CloseStream to the server's close (STREAM-SHUTDOWN-CLOSESTREAM)."""
    duration_tolerance: float


@dataclass
class Verdict:
    """What one stream leaves for the report: JSON-able, small, sent from worker to master."""

    opened_at: float
    """Wall-clock time the stream opened (or failed to), shared by every load process."""
    ended_at: float = 0.0
    judged: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    """Requirement ID -> the first evidence against it, in words."""
    latencies: list[tuple[float, float]] = field(default_factory=list)
    """(wall-clock end of a second of audio, seconds until the final Results covering it)."""
    close_after: float | None = None
    """Seconds from CloseStream to the server's close."""
    not_opened: str | None = None
    """Why the upgrade failed: nothing else was judged."""


class StreamJudge:
    """Feed frames as they go (times in seconds on one monotonic clock), then verdict()."""

    def __init__(
        self, url: str, bytes_per_second: int, channels: int, deadlines: Deadlines, wall: float
    ) -> None:
        self.url, self.rate, self.channels, self.deadlines = (
            url,
            bytes_per_second,
            channels,
            deadlines,
        )
        self.wall = wall
        self.frames: list[Frame] = []
        self.hasher = hashlib.sha256()
        self.sent = 0
        self.begun: float | None = None
        self.second_ends: list[float] = []
        """When the frame completing second k + 1 of the audio was sent."""
        self.finals: list[tuple[float, float, float]] = []
        """(start, end, arrival) of each final Results."""
        self.metadata: dict[str, Any] | None = None
        self.close_stream_at: float | None = None
        self.closed: tuple[int | None, str, float] | None = None
        self.timed_out = False

    def _wall(self, at: float) -> float:
        """A monotonic time as wall-clock time."""
        return self.wall + (at - (self.begun if self.begun is not None else at))

    def opened(self, at: float) -> None:
        """The upgrade succeeded: times are measured from here."""
        self.begun = at

    def sent_audio(self, data: bytes, at: float) -> None:
        """A binary frame of audio went out."""
        self.frames.append(Frame(True, None, len(data)))
        self.hasher.update(data)
        self.sent += len(data)
        while (len(self.second_ends) + 1) * self.rate <= self.sent:
            self.second_ends.append(at)

    def sent_close_stream(self, at: float) -> None:
        """The client's CloseStream went out."""
        self.frames.append(Frame(True, CLOSE_STREAM, len(CLOSE_STREAM)))
        self.close_stream_at = at

    def received(self, text: str | None, size: int, at: float) -> None:
        """A server message (text None: a binary frame)."""
        self.frames.append(Frame(False, text, size))
        body = _json(text)
        if not isinstance(body, dict):
            return
        if body.get("type") == "Results" and body.get("is_final") is True:
            start, length = _number(body.get("start")), _number(body.get("duration"))
            if start is not None and length is not None:
                self.finals.append((start, start + length, at))
        elif body.get("type") == "Metadata" and self.metadata is None:
            self.metadata = body

    def closing(self, code: int | None, reason: str, at: float) -> None:
        """The server closed (code None: the connection dropped without a close frame)."""
        self.closed = (code, reason, at)

    def gave_up(self) -> None:
        """The stream's deadline passed with the socket still open."""
        self.timed_out = True

    def verdict(self, ended_at: float) -> Verdict:
        """Every rule applied; a requirement fails on its first finding against it."""
        findings = self._message_findings() + self._timed() + self._ending()
        verdict = Verdict(self.wall, ended_at, close_after=self._close_after())
        for finding in findings:
            if finding.requirement not in verdict.judged:
                verdict.judged.append(finding.requirement)
            if not finding.passed:
                verdict.failed.setdefault(finding.requirement, finding.text)
        verdict.latencies = [(self._wall(end), late) for _, end, late in self._latencies()]
        return verdict

    def _message_findings(self) -> list[Finding]:
        """`conformance validate`'s rules: schemas, one request_id, start order, Metadata last."""
        found, _ = capture_stream.session(Session("", self.url, self.frames, client_frames=True))
        return [
            Finding(f.requirement, f.where, f.passed, f"{f.where.strip()}: {f.text}".lstrip(": "))
            for f in found
        ]

    def _latencies(self) -> list[tuple[int, float, float]]:
        """(k, end of second k, its covering final's arrival minus that end), for each second
        some final covers."""
        out = []
        for k, ended in enumerate(self.second_ends, start=1):
            arrival = next((a for s, e, a in self.finals if round(s, 3) < k <= round(e, 3)), None)
            if arrival is not None:
                out.append((k, ended, arrival - ended))
        return out

    def _timed(self) -> list[Finding]:
        """Each second's final within the message deadline (STREAM-FULL-DUPLEX), and the
        finals reaching the end of the audio sent (STREAM-SHUTDOWN-SEQUENCE)."""
        if self.close_stream_at is None:
            return []
        covered = {k: late for k, _, late in self._latencies()}
        limit = self.deadlines.message
        late = [(k, s) for k, s in covered.items() if s > limit]
        text = (
            f"the final Results covering second {late[0][0]} came {late[0][1]:.2f} s after it "
            f"ended (deadline {limit:g} s); {len(late)} of {len(self.second_ends)} seconds late"
            if late
            else "every second's final Results within the deadline"
        )
        found = [Finding(FULL_DUPLEX, "", not late, text)]
        seconds = round(self.sent / self.rate, 6)
        reach = max((e for _, e, _ in self.finals), default=0.0)
        missing = [k for k in range(1, len(self.second_ends) + 1) if k not in covered]
        if missing or reach < seconds - self.deadlines.duration_tolerance:
            what = f"no final Results covers second {missing[0]}; " if missing else ""
            text = f"{what}the finals reach {reach:g} s of the {seconds:g} s of audio sent"
            found.append(Finding(SEQUENCE, "", False, text))
        return found

    def _ending(self) -> list[Finding]:
        """How the stream ended: no close while audio flowed, the close within its deadline
        after CloseStream, with 1000, after a Metadata true to the audio."""
        if self.close_stream_at is None:
            code, reason, _ = self.closed or (None, "", 0.0)
            text = f"the server closed the stream with {code} {reason!r} while audio flowed"
            return [Finding(IDLE, "", False, text)]
        if self.closed is None:
            text = f"no close within {self.deadlines.end:g} s of CloseStream"
            return [Finding(CLOSESTREAM, "", False, text)]
        code, reason, at = self.closed
        after = at - self.close_stream_at
        found = [
            Finding(CLOSESTREAM, "", after <= self.deadlines.end,
                    f"closed {after:.2f} s after CloseStream (deadline {self.deadlines.end:g} s)"),
            Finding(CODE, "", code == 1000,
                    f"closed with {code if code is not None else 'no close frame'} {reason!r}"),
        ]  # fmt: skip
        return found + self._metadata()

    def _metadata(self) -> list[Finding]:
        """STREAM-METADATA: sha256, duration and channels those of all the audio sent."""
        meta = self.metadata
        if meta is None:
            return []
        seconds = round(self.sent / self.rate, 6)
        wrong = []
        if meta.get("sha256") != self.hasher.hexdigest():
            wrong.append(f"sha256 {meta.get('sha256')!r}, not that of the {self.sent} bytes sent")
        duration = _number(meta.get("duration"))
        if duration is None or abs(duration - seconds) > self.deadlines.duration_tolerance:
            wrong.append(f"duration {meta.get('duration')!r}, not the {seconds:g} s of audio sent")
        if meta.get("channels") != self.channels:
            wrong.append(f"channels {meta.get('channels')!r}, not {self.channels}")
        text = "; ".join(wrong) or "sha256, duration and channels those of the audio sent"
        return [Finding(METADATA, "", not wrong, f"Metadata {text}")]

    def _close_after(self) -> float | None:
        """Seconds from CloseStream to the close, where both happened."""
        if self.close_stream_at is None or self.closed is None:
            return None
        return self.closed[2] - self.close_stream_at


def _json(text: str | None) -> Any:
    """A text frame's JSON, or None."""
    try:
        return None if text is None else json.loads(text)
    except ValueError:
        return None


def _number(value: Any) -> float | None:
    """A JSON number, never a boolean; else None."""
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None
