"""Unit tests of the reference server's pure rules: parameters, auth, tokens, WAV decoding, VAD."""

from __future__ import annotations

import io
import struct
import wave

import numpy as np
import pytest

from conformance.reference.model.audio import AudioError, decode_wav
from conformance.reference.model.auth import Caller, identify, may_grant, parse_authorization
from conformance.reference.model.cache import Lru
from conformance.reference.model.errors import ApiError
from conformance.reference.model.faults import FAULTS, Fault, unknown_faults
from conformance.reference.model.params import ListenOptions, parse_listen_options
from conformance.reference.model.settings import Settings
from conformance.reference.model.tokens import TokenStore
from conformance.reference.model.transcribe import Word, diarize, punctuate, recognise, utterances
from conformance.reference.model.vad import voiced_regions
from conformance.wire import audio

CLEAN = Settings()


def options(query: list[tuple[str, str]], settings: Settings = CLEAN) -> ListenOptions:
    """Parse query pairs."""
    return parse_listen_options(query, settings)


def rejected(query: list[tuple[str, str]], settings: Settings = CLEAN) -> bool:
    """Whether the query is refused with 400."""
    try:
        options(query, settings)
    except ApiError as error:
        assert error.status == 400
        return True
    return False


# --- faults and settings ------------------------------------------------------------------


def test_fault_table_covers_the_fault_type() -> None:
    assert set(FAULTS) == set(Fault)
    assert Fault.WRONG_SHA256.description == FAULTS["wrong-sha256"]
    assert list(FAULTS) == sorted(FAULTS)
    assert all(text and "\n" not in text for text in FAULTS.values())


def test_settings_refuse_unknown_faults_and_empty_key() -> None:
    assert unknown_faults(["no-auth", "nope"]) == ["nope"]
    with pytest.raises(ValueError, match="nope"):
        Settings(faults=frozenset({"nope"}))
    with pytest.raises(ValueError):
        Settings(api_key="")


# --- parameters ---------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["true", "false", "TRUE", "False"])
def test_booleans_accept_true_and_false_in_any_case(value: str) -> None:
    assert options([("punctuate", value)]).punctuate is (value.lower() == "true")


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("punctuate", "yes"),
        ("diarize", "1"),
        ("mip_opt_out", ""),
        ("alternatives", "0"),
        ("alternatives", "-1"),
        ("alternatives", "1.5"),
        ("alternatives", "two"),
        ("alternatives", "21"),
        ("utt_split", "0"),
        ("utt_split", "-0.5"),
        ("utt_split", "nan"),
        ("utt_split", "inf"),
        ("utt_split", "soon"),
        ("redact", "everything"),
        ("search", ""),
        ("search", "   "),
        ("keywords", "word:abc"),
        ("keywords", ":2"),
        ("keywords", ""),
        ("model", ""),
        ("language", ""),
    ],
)
def test_invalid_values_are_rejected_unless_the_fault_accepts_them(name: str, value: str) -> None:
    assert rejected([(name, value)])
    lenient = Settings(faults=frozenset({"accept-invalid-params"}))
    assert options([(name, value)], lenient) == ListenOptions()


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("alternatives", "20"),
        ("utt_split", "0.05"),
        ("utt_split", "2"),
        ("redact", "ssn"),
        ("redact", "pci"),
        ("redact", "numbers"),
        ("redact", "true"),
        ("keywords", "medicine:2"),
        ("keywords", "pain:-1.5"),
        ("keywords", "miracle medicine"),
        ("search", "Friday"),
        ("tier", "enhanced"),
        ("callback", "https://example.com/hook"),
        ("tag", "x"),
        ("extra", "k:v"),
        ("no_such_parameter", "whatever"),
    ],
)
def test_valid_and_unknown_values_are_accepted(name: str, value: str) -> None:
    assert not rejected([(name, value)])


def test_options_carry_repeated_values_in_order() -> None:
    parsed = options(
        [("search", "b"), ("search", "a"), ("alternatives", "3"), ("utt_split", "1.5")]
    )
    assert parsed.search == ("b", "a")
    assert (parsed.alternatives, parsed.utt_split) == (3, 1.5)
    assert options([("smart_format", "true")]).punctuated


@pytest.mark.parametrize(
    ("name", "limit", "fault", "accepted", "refused"),
    [
        ("search", 25, None, 25, 26),
        ("search", 25, "search-limit-too-low", 24, 25),
        ("search", 25, "unenforced-search-limit", 100, None),
        ("keywords", 200, None, 200, 201),
        ("keywords", 200, "keywords-limit-too-low", 99, 100),
        ("keywords", 200, "unenforced-keywords-limit", 500, None),
    ],
)
def test_count_limits(
    name: str, limit: int, fault: str | None, accepted: int, refused: int | None
) -> None:
    settings = Settings(faults=frozenset({fault} if fault else set()))
    assert not rejected([(name, f"w{i}") for i in range(accepted)], settings)
    if refused is not None:
        assert rejected([(name, f"w{i}") for i in range(refused)], settings)
    lenient = Settings(faults=frozenset({"accept-invalid-params"}))
    assert rejected([(name, f"w{i}") for i in range(limit + 1)], lenient)


def test_option_faults_bend_valid_options() -> None:
    query = [("alternatives", "3"), ("multichannel", "true"), ("utt_split", "2")]
    bent = options(query, Settings(faults=frozenset({"ignore-alternatives", "ignore-utt-split"})))
    assert (bent.alternatives, bent.utt_split, bent.multichannel) == (1, 0.8, True)
    bent = options(query, Settings(faults=frozenset({"extra-alternative", "ignore-multichannel"})))
    assert (bent.alternatives, bent.multichannel) == (4, False)
    assert rejected([("redact", "ssn")], Settings(faults=frozenset({"reject-redact-ssn"})))
    intensifier = Settings(faults=frozenset({"reject-keyword-intensifier"}))
    assert rejected([("keywords", "pain:-1.5")], intensifier)
    assert not rejected([("keywords", "pain")], intensifier)


# --- authentication -----------------------------------------------------------------------


def test_parse_authorization() -> None:
    assert parse_authorization("Token abc") == ("token", "abc")
    assert parse_authorization("  BEARER   abc ") == ("bearer", "abc")
    assert parse_authorization("Token") is None


def caller(header: str | None, *faults: str, tokens: TokenStore | None = None) -> Caller | None:
    """identify(), with None for a 401."""
    settings = Settings(faults=frozenset(faults))
    try:
        return identify(header, settings, tokens or TokenStore(), 1000.0)
    except ApiError as error:
        assert (error.status, error.code) == (401, "INVALID_AUTH")
        return None


def test_identify() -> None:
    assert caller("Token dev-api-key") == Caller("api_key", "token", CLEAN.api_key_id)
    assert caller("bearer dev-api-key") == Caller("api_key", "bearer", CLEAN.api_key_id)
    for header in (None, "", "Token wrong", "Basic ZGV2LWFwaS1rZXk=", "dev-api-key"):
        assert caller(header) is None
    assert caller(None, "no-auth") == Caller("anonymous", None)
    assert caller("Token wrong", "no-auth") is None
    assert caller("Token wrong", "any-key-accepted") == Caller("api_key", "token")
    assert caller(None, "any-key-accepted") is None
    assert caller("Token dev-api-key", "token-scheme-rejected") is None
    assert caller("Bearer dev-api-key", "bearer-rejected") is None


def test_tokens_expire_and_cannot_grant() -> None:
    store = TokenStore()
    token = store.issue("key-id", 30.0, now=1000.0)
    assert token.count(".") == 2
    assert store.is_valid(token, 1029.9) and not store.is_valid(token, 1030.0)
    assert caller(f"Bearer {token}", tokens=store) == Caller("access_token", "bearer")
    assert caller(f"Token {token}", tokens=store) is None
    assert caller(f"Bearer {token}", "bearer-rejected", tokens=store) is None
    assert not may_grant(Caller("access_token", "bearer"), CLEAN)
    assert not may_grant(Caller("api_key", "bearer"), CLEAN)
    assert may_grant(Caller("api_key", "token"), CLEAN)
    assert may_grant(
        Caller("api_key", "bearer"), Settings(faults=frozenset({"token-scheme-rejected"}))
    )


def test_lru_evicts_least_recently_used() -> None:
    cache: Lru[str, int] = Lru(2)
    cache.put("a", 1)
    cache.put("b", 2)
    assert cache.get("a") == 1
    cache.put("c", 3)
    assert (cache.get("a"), cache.get("b"), cache.get("c")) == (1, None, 3)


# --- audio decoding -----------------------------------------------------------------------


def wav(samples: np.ndarray, rate: int, width: int) -> bytes:
    """Encode two channels of integer PCM samples with the stdlib writer."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(2)
        out.setsampwidth(width)
        out.setframerate(rate)
        out.writeframes(samples.tobytes())
    return buffer.getvalue()


def float_wav(samples: np.ndarray, rate: int, extensible: bool) -> bytes:
    """A 32-bit float WAV, optionally as WAVE_FORMAT_EXTENSIBLE."""
    channels = samples.shape[1]
    if extensible:
        guid = struct.pack("<H", 3) + bytes.fromhex("000000001000800000aa00389b71")
        fmt = struct.pack("<HHIIHHHHI", 0xFFFE, channels, rate, rate * 4 * channels, 4 * channels,
                          32, 22, 32, 0) + guid  # fmt: skip
    else:
        fmt = struct.pack("<HHIIHH", 3, channels, rate, rate * 4 * channels, 4 * channels, 32)
    data = samples.astype("<f4").tobytes()
    chunks = b"fmt " + struct.pack("<I", len(fmt)) + fmt + b"data" + struct.pack("<I", len(data))
    body = b"WAVE" + chunks + data
    return b"RIFF" + struct.pack("<I", len(body)) + body


RAMP = np.linspace(-0.9, 0.9, 480).reshape(240, 2)


@pytest.mark.parametrize(
    "encoded",
    [
        wav((RAMP * 127 + 128).astype(np.uint8), 8000, 1),
        wav((RAMP * 32767).astype("<i2"), 8000, 2),
        wav(((RAMP * 2**23).astype("<i4").view(np.uint8).reshape(-1, 4)[:, :3]).copy(), 8000, 3),
        wav((RAMP * 2**31).astype("<i4"), 8000, 4),
        float_wav(RAMP, 8000, extensible=False),
        float_wav(RAMP, 8000, extensible=True),
    ],
    ids=["u8", "s16", "s24", "s32", "f32", "extensible"],
)
def test_decode_wav_formats(encoded: bytes) -> None:
    decoded = decode_wav(encoded)
    assert (decoded.rate, decoded.channels, decoded.duration) == (8000, 2, 0.03)
    assert np.allclose(decoded.samples, RAMP, atol=1 / 50)


@pytest.mark.parametrize(
    "data", [b"", b"not audio at all", b"RIFF\0\0\0\0WAVE", audio.mono().wav[:30]]
)
def test_decode_wav_refuses_garbage(data: bytes) -> None:
    with pytest.raises(AudioError):
        decode_wav(data)


def test_decode_wav_tolerates_an_overstated_data_size() -> None:
    clip = bytearray(audio.mono().wav)
    clip[40:44] = struct.pack("<I", 0xFFFFFFFF)
    assert decode_wav(bytes(clip)).duration == audio.mono().duration


# --- recognition --------------------------------------------------------------------------


def test_vad_finds_each_burst_once() -> None:
    clip = audio.stereo()
    decoded = decode_wav(clip.wav)
    for channel, bursts in enumerate(clip.bursts):
        regions = voiced_regions(decoded.channel(channel), decoded.rate)
        assert len(regions) == len(bursts)
        for region, (start, end) in zip(regions, bursts, strict=True):
            assert start <= region.start < region.end <= end
    assert voiced_regions(np.zeros(16000, dtype=np.float32), 16000) == ()


def test_recognition_is_deterministic_and_alternatives_differ() -> None:
    decoded = decode_wav(audio.mono().wav)
    regions = voiced_regions(decoded.channel(0), decoded.rate)
    first, again, second = recognise(regions), recognise(regions), recognise(regions, 1)
    assert first == again
    assert [(w.start, w.end) for w in first] == [(w.start, w.end) for w in second]
    for a, b in zip(first, second, strict=True):
        assert a.word != b.word and a.confidence >= b.confidence
    assert all(0.5 <= w.confidence <= 1.0 for w in first + second)


def word(start: float, end: float) -> Word:
    """A bare word at the given times."""
    return Word("x", start, end, 0.9, 7)


def test_punctuation_diarization_and_utterances_follow_gaps() -> None:
    words = [word(0.0, 0.5), word(0.6, 1.0), word(2.1, 2.5), word(3.0, 3.2)]
    assert [w.punctuated_word for w in punctuate(words)] == ["X", "x.", "X", "x."]
    assert [w.speaker for w in diarize(words)] == [0, 0, 1, 1]
    assert [w.speaker for w in diarize(words, first_speaker=1)] == [1, 1, 2, 2]
    split = utterances([words], 0.5, by_speaker=False)
    assert [len(u.words) for u in split] == [2, 2]
    assert [len(u.words) for u in utterances([words], 0.4, by_speaker=False)] == [2, 1, 1]
    assert [len(u.words) for u in utterances([words], 1.5, by_speaker=False)] == [4]
    assert [len(u.words) for u in utterances([diarize(words)], 1.5, by_speaker=True)] == [2, 2]
