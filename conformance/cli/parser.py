"""The command line's grammar: every subcommand and flag, the exit codes, and a parser that
reports a bad flag in one line."""

from __future__ import annotations

import argparse
import signal
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from conformance.cli import values
from conformance.cli.load_flags import add_load_parser
from conformance.cli.run_flags import add_run_flags, summary_flags
from conformance.contract import shapes
from conformance.run.verdicts import Outcome
from conformance.version import __version__
from conformance.wire import audio

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
    add_run_flags(run)

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
        "--parallel", type=values.positive, default=2, metavar="N", help="runs at once (default 2)"
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
    summary_flags(check, "rule")
    check.add_argument("--report-dir", type=Path, metavar="DIR", help="also write DIR/report.json")
    cover = commands.add_parser(
        "coverage",
        help="which requirements cover each official query parameter of listen and speak, "
        "or why it is waived (exit 1 when one is neither)",
    )
    cover.add_argument(
        "spec_path",
        type=Path,
        nargs="?",
        metavar="SPEC",
        help="the official OpenAPI (the same as --spec)",
    )
    cover.add_argument(
        "--spec",
        type=Path,
        metavar="FILE",
        help="the official OpenAPI (default: $CONFORMANCE_SHARED or ../shared, "
        "real-world/specs/deepgram-api-specs_openapi.yml)",
    )
    cover.add_argument(
        "--asyncapi",
        type=Path,
        metavar="FILE",
        help="the official AsyncAPI, for the WebSocket query parameters and messages (default: "
        "$CONFORMANCE_SHARED or ../shared, real-world/specs/deepgram-api-specs_asyncapi.yml)",
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
    add_load_parser(commands)
    return parser


def run_flags(flags: Sequence[str]) -> argparse.Namespace:
    """`conformance run`'s flags parsed as the command line parses them (the pytest plugin's
    --conformance option takes the same)."""
    return build_parser().parse_args(["run", *flags])
