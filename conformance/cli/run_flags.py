"""`conformance run`'s flags: what to test, how to reach it, what to write and what gates."""

from __future__ import annotations

import argparse
from pathlib import Path

from conformance.cli import values
from conformance.contract.catalogue import AREAS, CAPABILITIES
from conformance.run import profile
from conformance.run.config import DEFAULT_EXAMPLES, AuthScheme
from conformance.wire.limits import ENDPOINTS


def add_run_flags(run: argparse.ArgumentParser) -> None:
    """Every flag of `conformance run`; the names are a contract with users' CI scripts."""
    run.add_argument(
        "--target",
        metavar="URL",
        help="REST base URL, e.g. http://127.0.0.1:8000 (default: embedded server)",
    )
    run.add_argument(
        "--ws-target",
        metavar="URL",
        help="WebSocket base URL (default: derived from --target, http->ws)",
    )
    run.add_argument(
        "--api-key",
        help="API key (default: $DEEPGRAM_API_KEY); with --auth-scheme basic, USER:PASS",
    )
    run.add_argument(
        "--auth-scheme",
        choices=[s.value for s in AuthScheme],
        help="how requests carry the key (default token)",
    )
    run.add_argument(
        "--api-key-id", metavar="ID", help="the key's identifier (checked in dg-token)"
    )
    run.add_argument("--project-id", metavar="ID", help="project of the key (management endpoints)")
    run.add_argument(
        "--callback-host",
        metavar="HOST",
        help="address the receiver listens on, port 8080 (default 127.0.0.1)",
    )
    run.add_argument(
        "--callback-public-url",
        metavar="URL",
        help="base URL the target uses to reach the receiver (tunnel or public host)",
    )
    run.add_argument(
        "--retry-delay",
        type=values.positive,
        metavar="SECONDS",
        help="the target's declared callback retry delay (default 30)",
    )
    run.add_argument(
        "--retry-count",
        type=values.count,
        metavar="N",
        help="the target's declared callback retry count (default 10)",
    )
    run.add_argument(
        "--only",
        type=values.area,
        action="append",
        default=[],
        metavar="AREA",
        help=f"run only this area (repeatable): {', '.join(AREAS)}; the requirements its "
        "requirements need (their prerequisites) run and are reported too",
    )
    run.add_argument(
        "--strict", action="store_true", default=None, help="SHOULD requirements gate too"
    )
    run.add_argument(
        "--baseline",
        type=Path,
        metavar="REPORT",
        help="an earlier report.json: only requirements that passed in it gate",
    )
    run.add_argument(
        "--known-failing",
        type=Path,
        metavar="FILE",
        help="requirement IDs known to fail, one 'ID reason' a line: they do not gate, "
        "and one that passes now fails the run as a stale waiver",
    )
    run.add_argument(
        "--profile",
        metavar="FILE|NAME",
        help="TOML target profile, or a built-in one by name: "
        f"{', '.join(profile.built_in_names())} (default: [tool.conformance] of "
        "./pyproject.toml, if any)",
    )
    run.add_argument(
        "--capabilities",
        type=values.capabilities,
        metavar="LIST",
        help="optional parts the target implements, comma-separated: "
        f"{','.join(CAPABILITIES)} (default: all of them; listen is pre-recorded POST "
        "/v1/listen, which a streaming-only gateway leaves out)",
    )
    run.add_argument(
        "--dialect",
        choices=["v1", "v2"],
        help="v1 (default) or the legacy v2 API: paths under /v2, Basic key:secret auth",
    )
    run.add_argument(
        "--stream-idle-timeout",
        type=values.positive,
        metavar="SECONDS",
        help="the target's declared idle timeout for streams (default 10)",
    )
    run.add_argument(
        "--pace",
        type=values.positive,
        metavar="X",
        help="streaming speed as a multiple of real time (default 1; embedded: 20)",
    )
    summary_flags(run, "requirement")
    run.add_argument(
        "--events", type=Path, metavar="FILE", help="also write NDJSON events, one line per case"
    )
    run.add_argument(
        "--report-dir",
        type=Path,
        metavar="DIR",
        help="where report.json is written (default reports/)",
    )
    run.add_argument(
        "--time-scale",
        type=values.positive,
        metavar="X",
        help="multiply every deadline (default 1)",
    )
    run.add_argument(
        "--examples",
        type=values.at_least_one,
        metavar="N",
        help=f"generated examples per property-based case (default {DEFAULT_EXAMPLES})",
    )
    run.add_argument(
        "--budget",
        type=values.budget,
        metavar="audio=SECONDS,requests=N",
        help="the most the run may spend: audio seconds sent and requests (stream upgrades "
        "included); what would exceed it is not sent, and its case skips saying why",
    )
    run.add_argument(
        "--concurrency",
        type=values.concurrency,
        metavar="N|ENDPOINT=N,...",
        help="exchanges in flight at once per endpoint: N for each REST endpoint, or by name "
        f"({', '.join(ENDPOINTS)}); default listen=8,speak=5,manage=8,streams=40",
    )

    _selection_flags(run)
    _network_flags(run)
    run.add_argument(
        "--no-color",
        action="store_true",
        help="no colours on the console (also when $NO_COLOR is set)",
    )


def _selection_flags(run: argparse.ArgumentParser) -> None:
    """What to run and when the gate is satisfied: --requirement, --exitfirst,
    --allow-unverified."""
    run.add_argument(
        "--requirement",
        action="append",
        default=[],
        metavar="ID",
        help="run this requirement (repeatable), its prerequisites too; with --only, both",
    )
    run.add_argument(
        "-x",
        "--exitfirst",
        action="store_true",
        default=None,
        help="stop at the first gated failure; the cases not run then skip, saying so",
    )
    run.add_argument(
        "--allow-unverified",
        action="append",
        default=[],
        metavar="AREA|CAPABILITY",
        help="let this area or capability go unverified (repeatable): a declared capability "
        "none of whose requirements could be checked fails the run otherwise",
    )


def _network_flags(run: argparse.ArgumentParser) -> None:
    """How the run reaches the target: rate, extra headers, proxy and TLS."""
    run.add_argument(
        "--rate-limit",
        type=values.rate,
        metavar="N/s",
        help="start at most N requests (and stream upgrades) per second (N/m, N/h: per minute, "
        "hour), for metered APIs",
    )
    run.add_argument(
        "--header",
        type=values.header,
        action="append",
        default=[],
        metavar="'NAME: VALUE'",
        help="send this header with every request and stream upgrade (repeatable), for "
        "gateways; shown in reports unless its name is Authorization-like",
    )
    run.add_argument(
        "--proxy", type=values.proxy, metavar="URL", help="send every request and stream through it"
    )
    run.add_argument(
        "--tls-verify",
        type=values.boolean,
        metavar="true|false",
        help="verify the target's TLS certificate (default true)",
    )
    run.add_argument(
        "--cacert",
        type=Path,
        metavar="FILE",
        help="a PEM CA bundle to verify the target's certificate with",
    )


def summary_flags(parser: argparse.ArgumentParser, testcase: str) -> None:
    """--junit and --markdown, the outputs `run` and `validate` share."""
    parser.add_argument(
        "--junit",
        type=Path,
        metavar="FILE",
        help=f"also write JUnit XML, one testcase per {testcase}",
    )
    parser.add_argument(
        "--markdown",
        type=Path,
        metavar="FILE",
        help="also write a Markdown summary (appended to $GITHUB_STEP_SUMMARY when set)",
    )
