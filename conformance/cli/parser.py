"""The command line's grammar: every subcommand and flag, the exit codes, and a parser that
reports a bad flag in one line."""

from __future__ import annotations

import argparse
import signal
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from conformance.contract import shapes
from conformance.contract.catalogue import AREAS, CAPABILITIES
from conformance.run import profile
from conformance.run.config import DEFAULT_EXAMPLES, AuthScheme
from conformance.run.verdicts import Outcome
from conformance.version import __version__
from conformance.wire import audio
from conformance.wire.cost import parse_budget
from conformance.wire.limits import ENDPOINTS

EXIT_PASSED = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_HARNESS = 3
EXIT_UNREACHABLE = 4
EXIT_INTERRUPTED = 130
EXIT_TERMINATED = 143
EXIT_BY_SIGNAL = {signal.SIGINT: EXIT_INTERRUPTED, signal.SIGTERM: EXIT_TERMINATED}
"""128 + the signal's number, as shells report a process a signal ended."""

EXIT_BY_OUTCOME = {
    Outcome.PASSED: EXIT_PASSED,
    Outcome.FAILED: EXIT_FAILED,
    Outcome.HARNESS_ERROR: EXIT_HARNESS,
}

EPILOG = """exit codes: 0 every gated requirement passed; 1 a gated requirement failed;
2 usage or configuration error; 3 the harness itself failed, or a report could not be written
(the others are, and stderr names it); 4 the target is unreachable;
130 or 143 stopped by SIGINT or SIGTERM (after deleting the API keys the run created)."""


class Parser(argparse.ArgumentParser):
    """argparse that reports a bad flag in one line and exits 2."""

    def error(self, message: str) -> NoReturn:
        """One line on stderr, pointing at --help."""
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _positive(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be greater than 0, not {text}")
    return value


def _count(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, not {text}")
    return value


def _capabilities(text: str) -> frozenset[str]:
    names = frozenset(n.strip() for n in text.split(",") if n.strip())
    unknown = sorted(names - set(CAPABILITIES))
    if unknown:
        raise argparse.ArgumentTypeError(
            f"unknown capability {', '.join(unknown)}; capabilities: {', '.join(CAPABILITIES)}"
        )
    return names


def _concurrency(text: str) -> dict[str, int]:
    if text.isdigit():
        caps = dict.fromkeys(profile.REST_ENDPOINTS, int(text))
    else:
        caps = {}
        for pair in (p.strip() for p in text.split(",") if p.strip()):
            name, _, number = pair.partition("=")
            if name not in ENDPOINTS or not number.isdigit():
                raise argparse.ArgumentTypeError(
                    f"{pair!r} is not ENDPOINT=N; endpoints: {', '.join(ENDPOINTS)}"
                )
            caps[name] = int(number)
    if not caps or min(caps.values()) < 1:
        raise argparse.ArgumentTypeError(f"must be N or ENDPOINT=N with N of 1 or more, not {text}")
    return caps


def _budget(text: str) -> dict[str, float]:
    try:
        return parse_budget(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _area(text: str) -> str:
    area = text.upper()
    if area not in AREAS:
        raise argparse.ArgumentTypeError(f"unknown area {text!r}; areas: {', '.join(AREAS)}")
    return area


def _summary_flags(parser: argparse.ArgumentParser, testcase: str) -> None:
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


def build_parser() -> Parser:
    """Every subcommand and flag; the names are a contract with users' CI scripts."""
    parser = Parser(
        prog="conformance",
        epilog=EPILOG,
        description="Contract conformance suite for Deepgram-compatible speech APIs.",
    )
    parser.add_argument("--version", action="version", version=f"conformance {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=Parser)

    run = commands.add_parser(
        "run",
        epilog=EPILOG,
        help="run the suite against a target",
        description="Run the suite. Without --target, the embedded "
        "reference server is started and tested.",
    )
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
        type=_positive,
        metavar="SECONDS",
        help="the target's declared callback retry delay (default 30)",
    )
    run.add_argument(
        "--retry-count",
        type=_count,
        metavar="N",
        help="the target's declared callback retry count (default 10)",
    )
    run.add_argument(
        "--only",
        type=_area,
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
        type=_capabilities,
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
        type=_positive,
        metavar="SECONDS",
        help="the target's declared idle timeout for streams (default 10)",
    )
    run.add_argument(
        "--pace",
        type=_positive,
        metavar="X",
        help="streaming speed as a multiple of real time (default 1; embedded: 20)",
    )
    _summary_flags(run, "requirement")
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
        type=_positive,
        metavar="X",
        help="multiply every deadline (default 1)",
    )
    run.add_argument(
        "--examples",
        type=_count,
        metavar="N",
        help=f"generated examples per property-based case (default {DEFAULT_EXAMPLES})",
    )
    run.add_argument(
        "--budget",
        type=_budget,
        metavar="audio=SECONDS,requests=N",
        help="the most the run may spend: audio seconds sent and requests (stream upgrades "
        "included); what would exceed it is not sent, and its case skips saying why",
    )
    run.add_argument(
        "--concurrency",
        type=_concurrency,
        metavar="N|ENDPOINT=N,...",
        help="exchanges in flight at once per endpoint: N for each REST endpoint, or by name "
        f"({', '.join(ENDPOINTS)}); default listen=8,speak=5,manage=8,streams=40",
    )

    commands.add_parser(
        "serve",
        help="start the reference server alone, as a mock "
        "(conformance serve --help lists its flags)",
    )

    selftest = commands.add_parser(
        "selftest",
        help="prove the suite against the reference server: each fault must fail exactly "
        "the requirements it declares",
    )
    selftest.add_argument(
        "--fault", action="append", default=[], metavar="NAME", help="only these (repeatable)"
    )
    selftest.add_argument(
        "--parallel", type=_positive, default=2, metavar="N", help="runs at once (default 2)"
    )
    selftest.add_argument(
        "--full",
        action="store_true",
        help="run every area in each fault's row, not only the areas of the requirements it "
        "declares (slower; the conformant row always runs every area)",
    )
    requirements = commands.add_parser("requirements", help="list the requirement catalogue")
    requirements.add_argument(
        "--markdown",
        action="store_true",
        help="print it as a Markdown table (docs/requirements.md)",
    )
    compare = commands.add_parser(
        "diff", help="compare two reports: exit 1 when a requirement newly fails"
    )
    compare.add_argument("old", type=Path, metavar="OLD.json")
    compare.add_argument("new", type=Path, metavar="NEW.json")
    check = commands.add_parser(
        "validate",
        help="judge captured traffic offline (a JSON body, an NDJSON log, a HAR export) by the "
        "suite's schemas and the stream rules that need no audio",
    )
    check.add_argument("files", type=Path, nargs="+", metavar="FILE")
    check.add_argument(
        "--kind",
        choices=sorted(shapes.SCHEMA_FILES),
        help="the kind of a lone JSON document (default: the one it says it is)",
    )
    _summary_flags(check, "rule")
    check.add_argument("--report-dir", type=Path, metavar="DIR", help="also write DIR/report.json")
    cover = commands.add_parser(
        "coverage",
        help="which requirements cover each official query parameter of listen and speak, "
        "or why it is waived (exit 1 when one is neither)",
    )
    cover.add_argument(
        "--spec",
        type=Path,
        metavar="FILE",
        help="the official OpenAPI (default: $CONFORMANCE_SHARED or ../shared, "
        "real-world/specs/deepgram-api-specs_openapi.yml)",
    )
    cover.add_argument(
        "--documents",
        action="store_true",
        help="instead, each sentence of the contract documents: the requirements that enforce "
        "it, or why it is waived (schemas/documents.toml; exit 1 when one is neither)",
    )
    cover.add_argument(
        "--docs",
        type=Path,
        metavar="DIR",
        help="the contract documents (default: $CONFORMANCE_SHARED or ../shared, contract-docs/)",
    )
    clip = commands.add_parser(
        "audio", help="write one of the suite's test clips (for reproducers)"
    )
    clip.add_argument("clip", choices=sorted(audio.CLIPS))
    clip.add_argument("-o", "--output", type=Path, help="file to write (default: stdout)")
    return parser


def run_flags(flags: Sequence[str]) -> argparse.Namespace:
    """`conformance run`'s flags parsed as the command line parses them (the pytest plugin's
    --conformance option takes the same)."""
    return build_parser().parse_args(["run", *flags])
