"""`conformance validate` on captures: genuine traffic is judged by its type and accepted,
each crafted defect is rejected under its rule's ID, HARs written by real tools are read,
secrets never reach the output, and the reports are the ones a run writes."""

from __future__ import annotations

import base64
import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import harfile
import pytest
from conftest import REPO
from recordings import OUT_OF_SCOPE

from conformance.cli.commands import main
from conformance.contract import shapes

CAPTURES = REPO / "tests" / "captures"
KEY = "c0ffee0000000000000000000000000000c0ffee"
"""The API key in the Chromium fixture (a made-up one): it must never be printed."""

RID = "0b7e9a52-3c1d-4f60-8e2a-5d9b1c7f3a04"
RESULTS = {
    "type": "Results",
    "channel_index": [0, 1],
    "duration": 1.0,
    "start": 0.0,
    "is_final": True,
    "speech_final": True,
    "channel": {"alternatives": [{"transcript": "", "confidence": 0.0, "words": []}]},
    "metadata": {"request_id": RID},
}
METADATA = {
    "type": "Metadata",
    "transaction_key": "deprecated",
    "request_id": RID,
    "sha256": "incomplete",
    "created": "2026-11-30T10:15:02.114Z",
    "duration": 1.0,
    "channels": 1,
}


def _validate(capsys: pytest.CaptureFixture[str], *args: str | Path) -> tuple[int, str]:
    """Run `conformance validate` in process: its exit code and everything it printed."""
    code = main(["validate", *map(str, args)])
    out = capsys.readouterr()
    return code, out.out + out.err


def _ndjson(tmp_path: Path, *messages: Any) -> Path:
    path = tmp_path / "capture.ndjson"
    path.write_text("".join(json.dumps(m) + "\n" for m in messages))
    return path


def _frame(sent: bool, data: Any) -> dict[str, Any]:
    """A `_webSocketMessages` item as Chromium and mitmproxy write it."""
    if isinstance(data, bytes):
        encoded = base64.b64encode(data).decode()
        return {"type": "send" if sent else "receive", "time": 0.0, "opcode": 2, "data": encoded}
    text = data if isinstance(data, str) else json.dumps(data)
    return {"type": "send" if sent else "receive", "time": 0.0, "opcode": 1, "data": text}


def _socket(url: str, *frames: dict[str, Any]) -> dict[str, Any]:
    return {
        "_resourceType": "websocket",
        "request": {"method": "GET", "url": url, "headers": []},
        "response": {"status": 101, "headers": [], "content": {"size": 0}},
        "_webSocketMessages": list(frames),
    }


def _answer(method: str, url: str, status: int, mime: str, text: str) -> dict[str, Any]:
    return {
        "request": {"method": method, "url": url, "headers": []},
        "response": {"status": status, "headers": [], "content": {"mimeType": mime, "text": text}},
    }


def _har(tmp_path: Path, *entries: dict[str, Any]) -> Path:
    path = tmp_path / "capture.har"
    path.write_text(json.dumps({"log": {"version": "1.2", "entries": list(entries)}}))
    return path


LISTEN = "wss://stt.example.invalid/v1/listen?encoding=linear16&sample_rate=16000"

# ------------------------------------------------------------------ genuine traffic


def _in_scope(shared: Path) -> list[Path]:
    """Every genuine recording and quote a schema of the suite applies to."""
    real = shared / "real-world"
    return [
        path
        for path in sorted(real.rglob("*"))
        if path.suffix in {".json", ".ndjson"}
        and not path.relative_to(real).as_posix().startswith(tuple(OUT_OF_SCOPE))
    ]


def test_every_genuine_recording_and_quote_is_judged_by_its_type_and_accepted(
    shared: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    paths = _in_scope(shared)
    assert len(paths) >= 30
    code, out = _validate(capsys, *paths)
    judged = [line for line in out.splitlines() if "[" in line]
    assert code == 0, out
    assert not [line for line in judged if "INVALID" in line or "kind unknown" in line]
    for kind in ("stream-utterance-end", "stream-speech-started", "speak-metadata"):
        assert f"valid {kind} [CAPTURE-SCHEMA]" in out, kind
    speak = [line for line in judged if "speak-ws_metadata" in line]
    assert len(speak) == 2 and all("valid speak-metadata" in line for line in speak)
    empty = [line for line in judged if "metadata-zero-duration" in line]
    assert empty and "valid stream-metadata [STREAM-METADATA]" in empty[0]
    assert "speak-ws_cleared.json: valid speak-cleared" in out


def test_the_quoted_ndjson_capture_is_read_as_one_stream(
    shared: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    quote = next((shared / "real-world" / "quotes").glob("*.ndjson"))
    code, out = _validate(capsys, quote)
    assert code == 0, out
    assert "message 1: valid stream-results [STREAM-RESULTS-SCHEMA]" in out
    assert "message 2: valid stream-speech-started [CAPTURE-SCHEMA]" in out
    assert "[STREAM-MESSAGES-JSON]" in out and "[STREAM-REQUEST-ID]" in out


# ------------------------------------------------------------------ real tools' HAR


def test_a_chromium_har_export_is_read_and_its_stream_judged(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # tests/captures/chromium-listen.har has the layout of Chrome DevTools' "Save all as HAR
    # with content" (creator WebInspector; `_resourceType`, `_webSocketMessages` items
    # {type: send|receive, time, opcode, data}, binary frames base64), the layout mitmproxy's
    # `savehar` also writes. The browser authenticates its socket by subprotocol.
    har = CAPTURES / "chromium-listen.har"
    code, out = _validate(capsys, har, "--report-dir", tmp_path, "--junit", tmp_path / "j.xml")
    assert code == 0, out
    assert "CloseStream, then a Metadata last [STREAM-SHUTDOWN-SEQUENCE]" in out
    assert "valid listen [LISTEN-SCHEMA]" in out
    assert "1 entry not judged (not an endpoint of the contract)" in out
    report = json.loads((tmp_path / "report.json").read_text())
    assert shapes.problems("report", report) == []
    assert report["outcome"] == "passed"
    ids = {r["id"] for r in report["requirements"]}
    assert {"STREAM-RESULTS-SCHEMA", "STREAM-METADATA", "LISTEN-SCHEMA"} <= ids
    assert KEY in har.read_text() and KEY not in out
    for written in (tmp_path / "report.json", tmp_path / "j.xml"):
        assert KEY not in written.read_text(), written.name


def test_a_har_written_by_the_harfile_library_is_read(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "harfile.har"
    base = "https://stt.example.invalid"
    answers = [
        ("GET", "/v1/projects/p/keys", 200, "application/json", '{"api_keys": []}'),
        ("POST", "/v1/auth/grant", 200, "application/json", '{"access_token": "granted-tok"}'),
        ("POST", "/v1/speak", 200, "audio/mpeg", "ID3"),
        ("POST", "/v1/listen", 401, "application/json", '{"err_code": "INVALID_AUTH"}'),
    ]
    with harfile.open(path) as har:
        for method, route, status, mime, text in answers:
            headers = [harfile.Record(name="Authorization", value=f"Token {KEY}")]
            har.add_entry(
                startedDateTime="2026-11-30T10:15:02.114Z",
                time=12,
                request=harfile.Request(
                    method=method,
                    url=base + route,
                    httpVersion="HTTP/1.1",
                    cookies=[],
                    headers=headers,
                    queryString=[],
                    headersSize=-1,
                    bodySize=0,
                ),
                response=harfile.Response(
                    status=status,
                    statusText="",
                    httpVersion="HTTP/1.1",
                    cookies=[],
                    headers=[harfile.Record(name="Content-Type", value=mime)],
                    content=harfile.Content(size=len(text), mimeType=mime, text=text),
                    redirectURL="",
                    headersSize=-1,
                    bodySize=len(text),
                ),
                timings=harfile.Timings(send=0, wait=12, receive=0),
            )
    code, out = _validate(capsys, path)
    assert code == 1, out
    assert "valid keys-list [FUZZ-RESPONSE-CONFORMS]" in out
    assert "valid grant [FUZZ-RESPONSE-CONFORMS]" in out
    assert "audio (audio/mpeg) [SPEAK-AUDIO]" in out
    assert "INVALID as error" in out and "[LISTEN-ERROR-BODY]" in out
    assert KEY not in out and "granted-tok" not in out


# ------------------------------------------------------------------ crafted defects


def _moved(**changes: Any) -> dict[str, Any]:
    return {**RESULTS, **changes}


@pytest.mark.parametrize(
    ("messages", "rule", "said"),
    [
        (
            [RESULTS, _moved(metadata={"request_id": "other"}), METADATA],
            "STREAM-REQUEST-ID",
            "2 different request_ids",
        ),
        ([_moved(start=2.0), _moved(start=1.0), METADATA], "STREAM-START-ORDER", "before"),
        ([RESULTS, METADATA, RESULTS], "STREAM-SHUTDOWN-SEQUENCE", "after the Metadata"),
        ([RESULTS, _moved(start="late")], "STREAM-RESULTS-SCHEMA", "INVALID as stream-results"),
        ([RESULTS, {"type": "UtteranceEnd", "channel": [0, 1]}], "CAPTURE-SCHEMA", "INVALID"),
        ([RESULTS, {"type": "TurnInfo"}], "CAPTURE-KIND", "kind unknown"),
        ([RESULTS, {"type": "Metadata", "request_id": RID}], "STREAM-METADATA", "INVALID"),
    ],
)
def test_an_ndjson_capture_with_a_defect_is_rejected_with_the_rules_id(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    messages: list[Any],
    rule: str,
    said: str,
) -> None:
    code, out = _validate(capsys, _ndjson(tmp_path, *messages))
    assert code == 1, out
    failing = [line for line in out.splitlines() if line.endswith(f"[{rule}]") and said in line]
    assert failing, out


def test_a_line_that_is_not_json_breaks_stream_messages_json(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "capture.ndjson"
    path.write_text(json.dumps(RESULTS) + "\nnot json\n" + json.dumps(METADATA) + "\n")
    code, out = _validate(capsys, path)
    assert code == 1 and "message 2: not a JSON object with a type [STREAM-MESSAGES-JSON]" in out


@pytest.mark.parametrize(
    ("frames", "rule", "said"),
    [
        (
            [
                _frame(True, b"\0" * 64),
                _frame(False, RESULTS),
                _frame(True, {"type": "CloseStream"}),
            ],
            "STREAM-SHUTDOWN-SEQUENCE",
            "after CloseStream (frame 3) the last server message is none",
        ),
        (
            [_frame(True, {"type": "CloseStream"})],
            "STREAM-EMPTY",
            "the last server message is none",
        ),
        (
            [_frame(False, RESULTS), _frame(False, b"\1\2")],
            "STREAM-MESSAGES-JSON",
            "message 2: a binary frame",
        ),
        (
            [
                _frame(True, b"\0" * 8),
                _frame(True, b""),
                _frame(False, RESULTS),
                _frame(False, METADATA),
                _frame(False, RESULTS),
            ],
            "STREAM-SHUTDOWN-SEQUENCE",
            "after an empty binary frame (frame 2) the last server message is message 3",
        ),
    ],
)
def test_a_har_socket_with_a_defect_is_rejected_with_the_rules_id(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    frames: list[dict[str, Any]],
    rule: str,
    said: str,
) -> None:
    code, out = _validate(capsys, _har(tmp_path, _socket(LISTEN, *frames)))
    assert code == 1, out
    assert any(line.endswith(f"[{rule}]") and said in line for line in out.splitlines()), out


@pytest.mark.parametrize(
    ("entry", "rule", "said"),
    [
        (
            _answer("POST", "https://h.invalid/v1/listen", 200, "application/json", '{"a": 1}'),
            "LISTEN-SCHEMA",
            "INVALID as listen",
        ),
        (
            _answer(
                "POST",
                "https://h.invalid/v1/listen?callback=https://cb.invalid/x",
                200,
                "application/json",
                '{"metadata": {"request_id": "r"}, "results": {}}',
            ),
            "CALLBACK-ACCEPTED",
            "INVALID as callback-accepted",
        ),
        (
            _answer("POST", "https://h.invalid/v1/listen", 400, "text/plain", "Bad Request"),
            "LISTEN-ERROR-BODY",
            "not a JSON error body",
        ),
        (
            _answer("POST", "https://h.invalid/v1/speak", 200, "application/json", "{}"),
            "SPEAK-AUDIO",
            "not audio/*",
        ),
        (
            _answer("GET", "https://h.invalid/v1/projects/p/usage", 502, "text/html", "x"),
            "FUZZ-NO-5XX",
            "answered 502",
        ),
        (
            _answer("GET", "https://h.invalid/v1/projects/p/keys", 200, "application/json", "{"),
            "FUZZ-RESPONSE-CONFORMS",
            "not JSON",
        ),
    ],
)
def test_a_har_answer_with_a_defect_is_rejected_with_its_endpoints_rule(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    entry: dict[str, Any],
    rule: str,
    said: str,
) -> None:
    code, out = _validate(capsys, _har(tmp_path, entry))
    assert code == 1, out
    assert any(line.endswith(f"[{rule}]") and said in line for line in out.splitlines()), out


def test_a_lone_id_is_kind_unknown_never_a_valid_acknowledgement(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    lone = tmp_path / "lone.json"
    lone.write_text('{"request_id": "r"}')
    code, out = _validate(capsys, lone)
    assert code == 1 and "kind unknown" in out and "[CAPTURE-KIND]" in out
    code, out = _validate(capsys, lone, "--kind", "callback-accepted")
    assert code == 0 and "valid callback-accepted [CALLBACK-ACCEPTED]" in out


def test_a_speak_socket_is_judged_by_the_speak_schemas(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    speak = _socket(
        "wss://tts.example.invalid/v1/speak?model=aura-asteria-en",
        _frame(
            False,
            {
                "type": "Metadata",
                "request_id": "r",
                "model_name": "m",
                "model_version": "v",
                "model_uuid": "u",
            },
        ),
        _frame(True, {"type": "Speak", "text": "Hello"}),
        _frame(False, b"\0\1" * 100),
        _frame(False, {"type": "Flushed", "sequence_id": 0}),
        _frame(False, {"type": "Warning", "description": "slow"}),
    )
    code, out = _validate(capsys, _har(tmp_path, speak))
    assert code == 1, out
    assert "message 1: valid speak-metadata [CAPTURE-SCHEMA]" in out
    assert "message 3: valid speak-flushed [CAPTURE-SCHEMA]" in out
    assert "message 4: INVALID as speak-warning" in out
    assert "STREAM-" not in out  # the listen stream's rules are not the speak socket's


# ------------------------------------------------------------------ secrets, reports, bad input


def test_secrets_in_a_capture_never_reach_the_output_or_the_reports(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    socket = _socket(f"{LISTEN}&token={KEY}", _frame(False, RESULTS))
    refused = _answer(
        "POST",
        "https://h.invalid/v1/listen",
        401,
        "application/json",
        '{"err_code": "INVALID_AUTH", "err_msg": "Invalid credentials."}',
    )
    refused["request"]["headers"] = [{"name": "Authorization", "value": f"Token {KEY}"}]
    refused["request"]["url"] += f"?key={KEY}"
    har = _har(tmp_path, socket, refused)
    code, out = _validate(
        capsys,
        har,
        "--report-dir",
        tmp_path,
        "--markdown",
        tmp_path / "s.md",
        "--junit",
        tmp_path / "j.xml",
    )
    assert code == 0, out
    texts = [out, *(p.read_text() for p in (tmp_path / "report.json", tmp_path / "s.md"))]
    texts.append((tmp_path / "j.xml").read_text())
    assert all(KEY not in text for text in texts)
    report = json.loads(texts[1])
    exchange = next(
        c["evidence"]["exchanges"][0]
        for r in report["requirements"]
        for c in r["cases"]
        if c["evidence"]["exchanges"]
    )
    assert exchange["request"]["headers"]["Authorization"] == "Token <redacted>"
    assert exchange["request"]["url"].endswith("key=<redacted>")


def test_reports_carry_the_rule_ids_and_a_ci_gate_fails_on_a_broken_capture(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    capture = _ndjson(tmp_path, RESULTS, METADATA, RESULTS)
    code, _ = _validate(capsys, capture, "--junit", tmp_path / "j.xml", "--report-dir", tmp_path)
    assert code == 1
    suite = ET.parse(tmp_path / "j.xml").getroot().find("testsuite")
    assert suite is not None
    failed = {c.get("name") for c in suite.iter("testcase") if c.find("failure") is not None}
    assert failed == {"STREAM-SHUTDOWN-SEQUENCE"}
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["outcome"] == "failed"
    assert shapes.problems("report", report) == []


@pytest.mark.parametrize(
    ("content", "said"),
    [
        ("not json at all", "cannot read JSON, NDJSON or HAR"),
        ('{"log": {"entries": 3}}', "log.entries is not a list"),
        ('{"log": {"entries": [{"response": {}}]}}', "an entry without a request object"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, content: str, said: str
) -> None:
    path = tmp_path / "bad.har"
    path.write_text(content)
    code, out = _validate(capsys, path)
    assert code == 2 and said in out and len(out.strip().splitlines()) == 1, out


def test_a_capture_with_nothing_of_the_contract_does_not_pass(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    flux = _socket("wss://api.example.invalid/v2/listen?model=flux", _frame(False, {"type": "x"}))
    page = _answer("GET", "https://example.invalid/", 200, "text/html", "<p>")
    firefox = _socket(LISTEN)  # Firefox exports a socket without its messages
    del firefox["_webSocketMessages"]
    code, out = _validate(capsys, _har(tmp_path, flux, page, firefox))
    assert code == 1 and "nothing judged" in out
    assert "not judged (not a WebSocket of the contract)" in out
    assert "not judged (a WebSocket whose messages the HAR did not keep)" in out


@pytest.mark.parametrize("odd", [None, 1, True, "x", [1], {"a": 1}])
def test_odd_values_anywhere_in_a_har_never_break_the_tool(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, odd: Any
) -> None:
    listen = "https://h.invalid/v1/listen"
    entries = [
        {"request": {"method": odd, "url": odd, "headers": odd}, "response": {"status": odd}},
        {
            "request": {"method": "POST", "url": listen, "headers": odd},
            "response": {"status": 200, "headers": odd, "content": odd},
        },
        {
            "request": {"method": "POST", "url": listen},
            "response": {"status": 200, "content": {"mimeType": odd, "text": odd, "encoding": odd}},
        },
        _socket(
            LISTEN,
            _frame(True, json.dumps(odd)),
            {"type": "receive", "opcode": odd, "data": odd},
            _frame(False, {"type": "Results", "channel_index": odd, "start": odd, "metadata": odd}),
        ),
    ]
    for n, entry in enumerate(entries):
        code, out = _validate(capsys, _har(tmp_path, entry))
        assert code in {1, 2} and "internal error" not in out, (n, out)
