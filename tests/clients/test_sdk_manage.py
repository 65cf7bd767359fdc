"""The official Deepgram Python SDK's management calls against `conformance serve` (issue 21):
projects, keys, requests, usage, fields, breakdown, models, members and balances, each answer
validated strictly against the SDK's own pydantic model."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from runner import reference
from sdk_support import KEY, environment, strict

from conformance.wire import audio

deepgram = pytest.importorskip("deepgram", reason="deepgram-sdk is not installed (the test extra)")
from deepgram import DeepgramClient  # noqa: E402
from deepgram.types import (  # noqa: E402
    GetProjectBalanceV1Response,
    GetProjectRequestV1Response,
    GetProjectV1Response,
    ListenV1Response,
    ListModelsV1Response,
    ListProjectBalancesV1Response,
    ListProjectKeysV1Response,
    ListProjectMembersV1Response,
    ListProjectRequestsV1Response,
    ListProjectsV1Response,
    UsageBreakdownV1Response,
    UsageFieldsV1Response,
    UsageV1Response,
)

PROJECT = "a1b2c3d4-0000-4000-8000-0000000000aa"
TAG = "sdk-manage"


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[Any, str]]:
    """One `conformance serve` for the module, with one tagged transcription made through the
    SDK; (the SDK's manage.v1 client, that request's id)."""
    with reference(api_key=KEY) as url:
        client = DeepgramClient(api_key=KEY, environment=environment(url))
        made = client.listen.v1.media.transcribe_file(request=audio.mono().wav, tag=TAG)
        yield client.manage.v1, strict(ListenV1Response, made).metadata.request_id


def test_projects_list_and_get(served: tuple[Any, str]) -> None:
    manage, _ = served
    listed = strict(ListProjectsV1Response, manage.projects.list())
    assert [p.project_id for p in listed.projects or []] == [PROJECT]
    assert strict(GetProjectV1Response, manage.projects.get(PROJECT)).project_id == PROJECT


def test_keys_list(served: tuple[Any, str]) -> None:
    manage, _ = served
    keys = strict(ListProjectKeysV1Response, manage.projects.keys.list(PROJECT))
    assert keys.api_keys


def test_requests_list_and_get(served: tuple[Any, str]) -> None:
    manage, request_id = served
    now = datetime.now(UTC)
    listed = manage.projects.requests.list(
        PROJECT,
        start=now - timedelta(days=1),
        end=now + timedelta(days=1),
        limit=5,
        status="succeeded",
    )
    records = strict(ListProjectRequestsV1Response, listed).requests or []
    assert request_id in [r.request_id for r in records]
    got = strict(GetProjectRequestV1Response, manage.projects.requests.get(PROJECT, request_id))
    assert got.request is not None and got.request.response is not None
    assert got.request.response["details"]["tags"] == [TAG]


def test_usage_fields_and_breakdown(served: tuple[Any, str]) -> None:
    manage, _ = served
    usage = strict(UsageV1Response, manage.projects.usage.get(PROJECT, tag=TAG))
    assert usage.resolution is not None
    fields = strict(UsageFieldsV1Response, manage.projects.usage.fields.list(PROJECT))
    assert fields.tags == [TAG]
    breakdown = manage.projects.usage.breakdown.get(PROJECT, grouping="tags")
    results = strict(UsageBreakdownV1Response, breakdown).results
    assert [r.grouping.tags for r in results] == [[TAG]]


def test_models_members_balances(served: tuple[Any, str]) -> None:
    manage, _ = served
    models = strict(ListModelsV1Response, manage.models.list())
    assert models.stt and models.tts
    assert strict(ListModelsV1Response, manage.projects.models.list(PROJECT)) == models
    members = strict(ListProjectMembersV1Response, manage.projects.members.list(PROJECT))
    assert members.members
    balances = strict(ListProjectBalancesV1Response, manage.projects.billing.balances.list(PROJECT))
    assert balances.balances and balances.balances[0].balance_id
    one = manage.projects.billing.balances.get(PROJECT, balances.balances[0].balance_id)
    assert strict(GetProjectBalanceV1Response, one).amount == balances.balances[0].amount
