"""Foreign targets (issue 13): servers imitating classes of Deepgram-compatible servers nobody here
wrote, each in front of a real reference server. One defect fails one requirement (or one per
independent route), the requirements that depend on it skip as blocked by it, and absent routes
or vacuous evidence never pass."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import TypedDict

import pytest
from hostile_foreign import foreign
from hostile_runs import (
    STREAMS_AT_ONCE,
    Judged,
    Ran,
    judge,
    run_alone,
    run_together,
    take,
    upstream_reference,
)

from conformance.contract import catalogue
from conformance.reference.model.settings import DEFAULT_API_KEY_ID


class Outcome(TypedDict):
    """What a correct suite says of one foreign target."""

    fail: set[str]
    """Exactly the requirements that fail, time out or error."""
    blocked: dict[str, str]
    """Exactly the skipped requirements blocked by another, each with the failing requirement
    at the root of its chain (a requirement blocked by a blocked one resolves to that one's)."""


LISTEN_BODY = {
    "LISTEN-REQUEST-ID", "LISTEN-SHA256", "LISTEN-CREATED", "LISTEN-DURATION", "LISTEN-CHANNELS",
    "LISTEN-WORD-TIMES", "LISTEN-CONFIDENCE", "LISTEN-ALTERNATIVES-MAX",
    "LISTEN-ALTERNATIVES-COUNT", "LISTEN-MULTICHANNEL", "LISTEN-SEARCH", "LISTEN-UTTERANCES",
    "LISTEN-UTT-SPLIT", "LISTEN-DIARIZE", "LISTEN-PUNCTUATE", "LISTEN-URL-BODY",
    "LISTEN-PARAM-VALID", "LISTEN-FORMATS", "LISTEN-SMART-FORMAT", "LISTEN-PARAGRAPHS",
    "LISTEN-PARAGRAPHS-WORDS", "LISTEN-PARAGRAPHS-TIMES", "LISTEN-SUMMARIZE",
    "LISTEN-INTELLIGENCE-INFO", "LISTEN-TOPICS", "LISTEN-CUSTOM-TOPIC-STRICT", "LISTEN-INTENTS",
    "LISTEN-CUSTOM-INTENT-STRICT", "LISTEN-SENTIMENT", "LISTEN-DETECT-LANGUAGE",
    "LISTEN-LANGUAGE-MULTI",
    "LISTEN-ENTITIES", "LISTEN-SPEECH-OPTIONS", "LISTEN-REQUEST-ID-HEADER",
    "LISTEN-MODEL-PER-CHANNEL", "LISTEN-MODEL-PER-CHANNEL-MODELS", "LISTEN-RAW-ENCODING",
    "LISTEN-ALTERNATIVES-DEFAULT", "LISTEN-UTT-SPLIT-DEFAULT",
}  # fmt: skip
"""LISTEN requirements judged on the content of a transcription (its metadata, its channels):
nothing to judge when the body is not one."""
LISTEN_ROUTE = {
    "LISTEN-SCHEMA", "LISTEN-RAW-BODY-ALIASES", "LISTEN-SEARCH-LIMIT", "LISTEN-KEYWORDS-LIMIT",
    "LISTEN-KEYWORDS-INTENSIFIER", "LISTEN-EMPTY-BODY", "LISTEN-BAD-JSON", "LISTEN-ERROR-BODY",
    "LISTEN-PARAM-INVALID", "LISTEN-SEARCH-LIMIT-ENFORCED", "LISTEN-KEYWORDS-LIMIT-ENFORCED",
    "LISTEN-MODELS", "LISTEN-LANGUAGES", "LISTEN-ERROR-REQUEST-ID", "LISTEN-KEYTERM-LIMIT",
}  # fmt: skip
"""The other LISTEN requirements but LISTEN-RAW-BODY: acceptances and refusals on the route."""
AUTH_REFUSALS = {"AUTH-MISSING", "AUTH-MISSING-401", "AUTH-WRONG-KEY", "AUTH-WRONG-KEY-401"}
"""Refusals, which count only where a valid request on the same route is accepted."""
FUZZ = {"FUZZ-ERROR-CONFORMS", "FUZZ-INVALID-4XX", "FUZZ-NO-5XX", "FUZZ-RESPONSE-CONFORMS"}
CALLBACK_AFTER_ACCEPTANCE = {
    "DELIVERY", "BASIC-AUTH", "BASIC-AUTH-HIDDEN", "DG-TOKEN", "POST", "PUT", "REQUEST-ID",
    "RETRY", "RETRY-DELAY", "RETRY-LIMIT", "RETRY-STOPS", "RETRY-UNANSWERED", "PORT-ALLOWED",
    "PORT-REFUSED", "PROTOCOLS",
}  # fmt: skip
"""Suffixes of the CALLBACK- and SPEAK-CALLBACK- requirements that need the callback request
accepted as one (answered with a request_id, the result to come by callback)."""


EXTRA_ECHOES = {
    "EXTRA-ECHO", "EXTRA-MULTIPLE", "EXTRA-DUPLICATE-LAST", "EXTRA-FIRST-COLON", "EXTRA-ENCODING",
    "EXTRA-ENCODING-UNICODE",
}  # fmt: skip
"""EXTRA requirements judged on metadata.extra of a transcription."""
TAG_LOOKUPS = {"TAG-REQUEST-LOG", "TAG-USAGE-FILTER", "TAG-MULTIPLE-LOGGED", "TAG-ENCODED"}
"""TAG requirements that need a transcription's metadata.request_id."""
UPGRADE_HEADERS = {"STREAM-REQUEST-ID-UPGRADE", "STREAM-UPGRADE-REFUSAL-HEADERS"}
"""A relay that opens its own upstream socket answers the client's upgrade itself, without the
upstream's dg-request-id (accepted) or dg-error (refused): one defect per upgrade outcome."""


def _ids(area: str) -> set[str]:
    """Every requirement of one area."""
    return {r.id for r in catalogue.load().requirements if r.area == area}


EXPECTED: dict[str, Outcome] = {
    # Fixture replay: every accepted synchronous listen gets one recorded body with utterances
    # but no metadata and no results.channels. One defect: the body breaks the listen schema.
    # What only asks for a 200 (AUTH-TOKEN, AUTH-BEARER, TAG-ACCEPTED, TAG-LIMIT,
    # LISTEN-RAW-BODY(-ALIASES), the search and keyword limits and intensifiers, EXTRA-LIMIT)
    # passes: every such request did get 200. Refusals are relayed from the reference, so they
    # pass on their merits; EXTRA-IN-CALLBACK too (callback requests are relayed untouched).
    # Plain skip, not blocked: TAG-KEY-TAGS (no --project-id).
    "replay": {
        "fail": {"LISTEN-SCHEMA"},
        "blocked": {i: "LISTEN-SCHEMA" for i in LISTEN_BODY | EXTRA_ECHOES | TAG_LOOKUPS},
    },
    # Randomised mock: a static request_id everywhere, random word confidences in [0, 1]
    # (conformant: LISTEN-CONFIDENCE asks only the range), a Metadata message at connect.
    "random": {
        "fail": {
            "LISTEN-REQUEST-ID",  # the same id for two requests
            "LISTEN-REQUEST-ID-HEADER",  # no dg-request-id header beside the body's id
            "STREAM-REQUEST-ID",  # the same id for every stream (compared across streams)
            # Two Metadata messages: the one defect of the extra Metadata at connect. The
            # requirements about "the" Metadata (STREAM-METADATA, -CHANNELS, -EXTRA, -EMPTY,
            # -IDLE-TIMEOUT) are about the one that ends the stream, which the reference sent
            # right, so they pass; STREAM-EMPTY passes because its stream does end with a
            # Metadata, and STREAM-FINALIZE because a Metadata before any Results ends nothing.
            "STREAM-SHUTDOWN-SEQUENCE",
            *UPGRADE_HEADERS,  # its relay drops the upstream's upgrade headers
        },
        "blocked": {},
    },
    # Streaming-only gateway (--only AUTH --only STREAM --only FUZZ --only LISTEN): REST answers
    # 404, so POST /v1/listen is missing: LISTEN-RAW-BODY fails, and every other requirement
    # sent there is blocked by it, the refusals first of all (a 404 from a missing route is no
    # refusal of credentials or values), and the FUZZ requirements (every generated request got
    # a 404 from a missing route: nothing to judge). Streams with a callback are closed with
    # 1008: the HTTP and the WebSocket callback transports are independent MUSTs, so each fails
    # once and blocks its own. Plain skip, not blocked: AUTH-BEARER (no grant endpoint, which
    # the requirement allows).
    "gateway": {
        "fail": {"LISTEN-RAW-BODY", "STREAM-CALLBACK-HTTP", "STREAM-CALLBACK-WS", *UPGRADE_HEADERS},
        "blocked": {
            **{i: "LISTEN-RAW-BODY" for i in LISTEN_BODY | LISTEN_ROUTE | AUTH_REFUSALS | FUZZ},
            "AUTH-TOKEN": "LISTEN-RAW-BODY",  # the route is missing, not the Token scheme
            "STREAM-CALLBACK-METHOD": "STREAM-CALLBACK-HTTP",  # PUT of the same HTTP callback
            "STREAM-CALLBACK-PORT": "STREAM-CALLBACK-HTTP",  # its allowed-port control refused
            "STREAM-CALLBACK-WS-KILL": "STREAM-CALLBACK-WS",
            # the http callback stream is each one's first observation
            "STREAM-CALLBACK-BASIC-AUTH": "STREAM-CALLBACK-HTTP",
            "STREAM-CALLBACK-DG-TOKEN": "STREAM-CALLBACK-HTTP",
            "STREAM-CALLBACK-METADATA": "STREAM-CALLBACK-HTTP",
        },
    },
    # Callbacks answered synchronously (--only CALLBACK --only SPEAK --api-key-id): the callback
    # parameter is ignored, the full result answered with 200, nothing ever delivered. One
    # defect per endpoint: the ACCEPTED requirements fail, every requirement that needs the
    # callback request accepted as one is blocked by them: the deliveries (the brief names
    # CALLBACK-DELIVERY as their blocker: it is itself blocked by CALLBACK-ACCEPTED, and the
    # test resolves chains to their failing root), PORT-ALLOWED (a synchronous 200 is no
    # acceptance of a callback URL), and PORT-REFUSED and PROTOCOLS (their control request was
    # not accepted as a callback, so a 200 to a bad URL says nothing about the URL).
    # SPEAK-AUDIO passes.
    "sync-callback": {
        "fail": {
            "CALLBACK-ACCEPTED",
            "SPEAK-CALLBACK-ACCEPTED",
            "SPEAK-STREAM-REQUEST-ID-UPGRADE",  # its relay drops the speak upgrade's header
        },
        "blocked": {
            **{f"CALLBACK-{s}": "CALLBACK-ACCEPTED" for s in CALLBACK_AFTER_ACCEPTANCE},
            **{
                f"SPEAK-CALLBACK-{s}": "SPEAK-CALLBACK-ACCEPTED"
                for s in CALLBACK_AFTER_ACCEPTANCE - {"REQUEST-ID"}  # speak has no such check
            },
        },
    },
    # A wrong base URL (--only AUTH --only STREAM --only FUZZ): everything 404 (HTML), every
    # upgrade 403. The valid control requests are POST /v1/listen, which LISTEN-RAW-BODY judges
    # (run as a prerequisite of AUTH and FUZZ although LISTEN is not selected, as the engine
    # does; LISTEN-SCHEMA with it, a prerequisite of FUZZ-RESPONSE-CONFORMS) and the upgrade,
    # which STREAM-AUTH-HEADER judges: they fail, and block everything on their route,
    # AUTH-TOKEN included (the route is missing, not the scheme) and STREAM-AUTH-SUBPROTOCOL
    # (refused like the header: the route, not the subprotocol). Plain skip, not blocked:
    # AUTH-BEARER (no grant endpoint).
    "wrong-base": {
        "fail": {"LISTEN-RAW-BODY", "STREAM-AUTH-HEADER"},
        "blocked": {
            **{i: "LISTEN-RAW-BODY" for i in AUTH_REFUSALS | FUZZ},
            "AUTH-TOKEN": "LISTEN-RAW-BODY",
            "LISTEN-SCHEMA": "LISTEN-RAW-BODY",
            # STREAM-CALLBACK-WSS skips first: no https address this foreign target can verify
            **{
                i: "STREAM-AUTH-HEADER"
                for i in _ids("STREAM") - {"STREAM-AUTH-HEADER", "STREAM-CALLBACK-WSS"}
            },
        },
    },
}
"""Target -> what a correct suite says of it (issue 13)."""

SELECTION = {
    "replay": ["--only", "LISTEN", "--only", "AUTH", "--only", "TAG", "--only", "EXTRA"],
    "random": ["--only", "LISTEN", "--only", "STREAM"],
    "gateway": ["--only", "AUTH", "--only", "STREAM", "--only", "FUZZ", "--only", "LISTEN"],
    "sync-callback": ["--only", "CALLBACK", "--only", "SPEAK", "--api-key-id", DEFAULT_API_KEY_ID],
    "wrong-base": ["--only", "AUTH", "--only", "STREAM", "--only", "FUZZ"],
}
"""Target -> the flags of its run besides --target, --time-scale and the key."""
SCALES = {
    "replay": "1",
    "random": "0.3",
    "gateway": "0.3",
    "sync-callback": "0.2",
    "wrong-base": "1",
}
"""--time-scale per target: 0.3 for the streams, as in test_hostile_stream (stream runs take
5-10 s), 0.2 for callbacks, as in test_hostile_callbacks (none is ever delivered here)."""


@pytest.fixture(scope="module")
def upstream() -> Iterator[str]:
    """One reference server behind every foreign target of this module."""
    with upstream_reference() as url:
        yield url


def _areas(target: str) -> set[str]:
    """The areas a target's run selects with --only."""
    flags = SELECTION[target]
    return {flags[n + 1] for n, flag in enumerate(flags) if flag == "--only"}


def _root(blocked_by: dict[str, str], requirement_id: str) -> str:
    """The requirement at the root of a chain of blocks (a blocker blocked in turn)."""
    seen = {requirement_id}
    blocker = blocked_by[requirement_id]
    while blocker in blocked_by and blocker not in seen:
        seen.add(blocker)
        blocker = blocked_by[blocker]
    return blocker


def _blocked(judged: Judged) -> dict[str, str]:
    """Skipped requirement -> the failing requirement its block resolves to."""
    blocked_by = {
        i: str(r["blocked_by"])
        for i, r in judged.requirements.items()
        if r["verdict"] == "skip" and r.get("blocked_by")
    }
    for requirement_id, blocker in blocked_by.items():
        reason = judged.reason(requirement_id)
        assert reason.startswith(f"blocked: {blocker} "), (requirement_id, reason)
    return {i: _root(blocked_by, i) for i in blocked_by}


@pytest.mark.parametrize("target", sorted(EXPECTED))
def test_expected_outcomes_are_consistent(target: str) -> None:
    """The data itself: real IDs (of the selected areas, or LISTEN ones run as prerequisites),
    disjoint, every block rooted in a failure."""
    expected = EXPECTED[target]
    areas = _areas(target) | {"LISTEN"}
    selected = {r.id for r in catalogue.load().requirements if r.area in areas}
    assert expected["fail"] <= selected, expected["fail"] - selected
    assert set(expected["blocked"]) <= selected, set(expected["blocked"]) - selected
    assert not expected["fail"] & set(expected["blocked"])
    assert set(expected["blocked"].values()) <= expected["fail"]


DECLARED = ("--capabilities", "streaming,callbacks")
"""The gateway's run declaring what it implements (no pre-recorded listen)."""


def _flags(target: str, url: str) -> list[str]:
    """A target's run against `url`: its selection and time scale."""
    return ["--target", url, *SELECTION[target], "--time-scale", SCALES[target]]


@pytest.fixture(scope="module")
def shared(upstream: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Ran]:
    """Every target's run, and the declaring gateway's, two at a time (each waits mostly on its
    timers), each against a target of its own: a test judges its run's the first time (see
    hostile_runs.take)."""
    with ExitStack() as targets:
        runs = {
            name: (
                tmp_path_factory.mktemp(name),
                [*_flags(target, targets.enter_context(foreign(target, upstream))), *more],
            )
            for name, target, more in (
                *((target, target, ()) for target in EXPECTED),
                ("declared", "gateway", DECLARED),
            )
        }
        return run_together(runs, at_once=STREAMS_AT_ONCE)


def _judged(
    name: str, target: str, more: Sequence[str], shared: dict[str, Ran], upstream: str,
    report_dir: Path,
) -> Judged:  # fmt: skip
    """The shared run `name`, or on a rerun a run of its own against `target`."""

    def alone() -> Ran:
        with foreign(target, upstream) as url:
            return run_alone(report_dir, *_flags(target, url), *more)

    return judge(take(shared, name, alone))


def test_a_streaming_only_gateway_that_says_so_fails_only_its_stream_callbacks_and_headers(
    shared: dict[str, Ran], upstream: str, tmp_path: Path
) -> None:
    """Declaring what it implements (no pre-recorded listen), the gateway is judged on its
    streams alone: what needs POST /v1/listen skips as undeclared, nothing is blocked."""
    judged = _judged("declared", "gateway", DECLARED, shared, upstream, tmp_path)
    assert judged.broken() == {"STREAM-CALLBACK-HTTP", "STREAM-CALLBACK-WS", *UPGRADE_HEADERS}
    undeclared = {i for i, r in judged.requirements.items() if "listen capability" in r["reason"]}
    assert undeclared == _ids("LISTEN") | _ids("AUTH") | _ids("FUZZ")
    assert all(judged.verdict(i) == "skip" for i in undeclared)
    assert "POST /v1/listen answered" not in judged.done.stdout


@pytest.mark.parametrize("target", sorted(EXPECTED))
def test_foreign_target_fails_once_per_defect(
    target: str, shared: dict[str, Ran], upstream: str, tmp_path: Path
) -> None:
    """Exactly the expected failures, and exactly the expected blocks, in bounded time."""
    judged = _judged(target, target, (), shared, upstream, tmp_path)
    expected = EXPECTED[target]
    assert judged.broken() == expected["fail"], {i: judged.reason(i) for i in judged.broken()}
    assert _blocked(judged) == expected["blocked"]
    announced = [
        n for n in judged.report["notices"] if n.startswith("POST /v1/listen answered 404")
    ]
    if "LISTEN-RAW-BODY" in expected["fail"]:  # the route is missing: said once, at the top
        assert announced and "is --target" in announced[0]
        first = judged.done.stdout.splitlines()[1]
        assert "warning: POST /v1/listen answered 404 to a valid request" in first
    else:
        assert not announced
