"""The reference server's fast voice detection decides every frame exactly as the plain RMS does."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from conformance.reference.model.vad import THRESHOLD, _frame_rms, _voiced

SIZES = (1, 7, 80, 160, 441, 7680)


def _plain(signal: np.ndarray, size: int) -> np.ndarray:
    """The definition: frame RMS above the threshold."""
    return _frame_rms(signal, size) > THRESHOLD


def _at_threshold(rng: np.random.Generator, size: int) -> np.ndarray:
    """Frames of noise scaled to within a few parts per million of the threshold, and a tail."""
    frames = rng.normal(0.0, 1.0, (40, size))
    rms = np.sqrt(np.mean(frames**2, axis=1, keepdims=True))
    frames *= THRESHOLD / rms * (1 + rng.normal(0.0, 2e-6, (40, 1)))
    tail = rng.normal(0.0, THRESHOLD, size // 2)
    return np.concatenate((frames.ravel(), tail)).astype(np.float32)


@pytest.mark.parametrize("size", SIZES)
def test_frames_at_the_threshold_are_decided_as_the_plain_rms_decides(size: int) -> None:
    rng = np.random.default_rng(size)
    for _ in range(20):
        signal = _at_threshold(rng, size)
        assert np.array_equal(_voiced(signal, size), _plain(signal, size))


@pytest.mark.parametrize("size", SIZES)
def test_constant_frames_one_ulp_either_side_of_the_threshold(size: int) -> None:
    level = np.float32(THRESHOLD)
    for step in (-2, -1, 0, 1, 2):
        amplitude = level
        for _ in range(abs(step)):
            amplitude = np.nextafter(amplitude, np.float32(np.inf if step > 0 else 0))
        signal = np.full(size * 3 + 1, amplitude, dtype=np.float32)
        assert np.array_equal(_voiced(signal, size), _plain(signal, size))


def test_wav_like_audio_and_other_dtypes() -> None:
    rng = np.random.default_rng(0)
    quantised = np.round(rng.normal(0.0, 328.0, 16000 * 3)).astype(np.int16) / np.float32(32768)
    loud_and_quiet = rng.normal(0.0, 1.0, 16000 * 3) * np.repeat(rng.random(300) < 0.5, 160)
    signals: list[Any] = [quantised.astype(np.float32), loud_and_quiet, loud_and_quiet[::2]]
    for signal in [*signals, np.zeros(0, dtype=np.float32)]:  # float64 and strided too
        assert np.array_equal(_voiced(signal, 160), _plain(signal, 160))
