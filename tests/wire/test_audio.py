"""Generated test audio is deterministic and matches the ground truth the cases rely on."""

from __future__ import annotations

import io
import wave
from itertools import pairwise

import numpy as np

from conformance.wire import audio


def test_clips_are_deterministic_bytes() -> None:
    for make in audio.CLIPS.values():
        clip = make()
        assert clip.wav == make.__wrapped__().wav  # type: ignore[attr-defined]


def test_clip_headers_match_their_description() -> None:
    for clip in (audio.mono(), audio.stereo(), audio.phrase()):
        with wave.open(io.BytesIO(clip.wav)) as wav:
            assert wav.getnchannels() == clip.channels
            assert wav.getframerate() == clip.sample_rate == 16_000
            assert wav.getsampwidth() == 2
            assert abs(wav.getnframes() / wav.getframerate() - clip.duration) < 1e-3


def test_bursts_are_loud_and_silences_are_silent() -> None:
    clip = audio.stereo()
    with wave.open(io.BytesIO(clip.wav)) as wav:
        samples = np.frombuffer(wav.readframes(wav.getnframes()), "<i2").reshape(-1, clip.channels)
    for channel, bursts in enumerate(clip.bursts):
        signal = samples[:, channel].astype(float)
        for start, end in bursts:
            middle = signal[int((start + 0.1) * 16_000) : int((end - 0.1) * 16_000)]
            assert np.sqrt(np.mean(middle**2)) > 1000
        gaps = [(a[1], b[0]) for a, b in pairwise(bursts)]
        for start, end in gaps:
            assert not signal[int(start * 16_000) + 1 : int(end * 16_000) - 1].any()


def test_mono_has_silences_both_sides_of_the_utt_split_probe() -> None:
    bursts = audio.mono().bursts[0]
    gaps = sorted(round(b[0] - a[1], 3) for a, b in pairwise(bursts))
    assert gaps[0] < 0.3 < gaps[-1]
    assert any(0.3 < g < 0.8 for g in gaps), "a gap the default utt_split would not split at"


def test_the_phrase_is_short_and_voiced() -> None:
    """The clip of the requests that need only a valid body: a fifth of mono, yet speech."""
    clip = audio.phrase()
    assert clip.duration <= 1.5 and clip.duration * 4 < audio.mono().duration
    assert len(clip.bursts[0]) == 2
