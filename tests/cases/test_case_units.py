"""Case logic alone, through an injected transport (no server, no engine): each case judges
only the observation it names, and says blocked when what it needs is missing."""

from __future__ import annotations

import hashlib

import httpx
import pytest
from case_kit import judge, transcription

from conformance.cases import auth
from conformance.cases.listen import transcript
from conformance.errors import Blocked, CheckFailed
from conformance.wire import audio


def _true(request: httpx.Request) -> httpx.Response:
    """A target whose transcription is true to the audio sent."""
    return httpx.Response(200, json=transcription(request))


def test_sha256_of_the_bytes_sent_passes() -> None:
    judge(transcript.sha256_of_submitted_bytes, _true)


def test_distinct_uuid_request_ids_pass() -> None:
    judge(transcript.request_id_is_uuid, _true)


def test_a_wrong_sha256_fails_naming_the_expected_hash() -> None:
    wrong = "0" * 64

    def target(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=transcription(request, sha256=wrong))

    with pytest.raises(CheckFailed) as failed:
        judge(transcript.sha256_of_submitted_bytes, target)
    expected = hashlib.sha256(audio.mono().wav).hexdigest()
    assert wrong in str(failed.value) and expected in str(failed.value)


def test_a_request_id_that_is_no_uuid_fails() -> None:
    def target(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=transcription(request, request_id="req-1"))

    with pytest.raises(CheckFailed, match="'req-1', not a UUID"):
        judge(transcript.request_id_is_uuid, target)


def test_one_request_id_for_two_requests_fails() -> None:
    same = "6f2c5b0e-1d2a-4c3b-9e8f-0a1b2c3d4e5f"

    def target(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=transcription(request, request_id=same))

    with pytest.raises(CheckFailed, match="two requests got the same request_id"):
        judge(transcript.request_id_is_uuid, target)


def test_a_body_that_is_no_transcription_blocks_on_listen_schema() -> None:
    """The sha256 check does not fail for a body it cannot read: LISTEN-SCHEMA judges that."""

    def target(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"metadata": {"sha256": "x"}})

    with pytest.raises(Blocked) as blocked:
        judge(transcript.sha256_of_submitted_bytes, target)
    assert blocked.value.prerequisite == "LISTEN-SCHEMA"


def test_a_refused_transcription_blocks_on_the_listen_route() -> None:
    with pytest.raises(Blocked) as blocked:
        judge(transcript.request_id_is_uuid, lambda r: httpx.Response(404, json={"err": "no"}))
    assert blocked.value.prerequisite == "LISTEN-RAW-BODY"


def _keyed(request: httpx.Request) -> httpx.Response:
    """A target that transcribes for the run's key and refuses anything else with 401."""
    if request.headers.get("authorization") != "Token unit-key":
        return httpx.Response(401, json={"err_code": "INVALID_AUTH", "err_msg": "Invalid"})
    return _true(request)


def test_a_missing_key_refused_with_401_passes_both_auth_checks() -> None:
    judge(auth.missing_credentials_refused, _keyed)
    judge(auth.missing_credentials_get_401, _keyed)


def test_a_missing_key_answered_403_is_refused_but_not_401() -> None:
    """AUTH-MISSING holds (a 4xx), AUTH-MISSING-401 alone fails: one defect, one failure."""

    def target(request: httpx.Request) -> httpx.Response:
        if "authorization" not in request.headers:
            return httpx.Response(403, json={"err_code": "FORBIDDEN", "err_msg": "no"})
        return _keyed(request)

    judge(auth.missing_credentials_refused, target)
    with pytest.raises(CheckFailed, match="should get 401"):
        judge(auth.missing_credentials_get_401, target)


def test_a_route_that_refuses_everything_blocks_the_refusal_checks() -> None:
    """A 401 proves nothing on a route that refuses the run's own key too: blocked, not pass."""
    with pytest.raises(Blocked) as blocked:
        judge(auth.missing_credentials_refused, lambda r: httpx.Response(401, json={}))
    assert blocked.value.prerequisite == "LISTEN-RAW-BODY"
