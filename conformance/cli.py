"""The command line: arguments become a run configuration; exit codes live here and only here."""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
from collections.abc import AsyncIterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import NoReturn

from rich.console import Console
from rich.table import Table

from . import __version__, catalogue, coverage, loop, profile, regress, sentences, shapes
from .capture.check import check as check_capture
from .config import (
    AREAS,
    DEFAULT_EXAMPLES,
    AuthScheme,
    Credentials,
    RunConfig,
    derive_ws_url,
    normalise_target,
)
from .docs import catalogue_markdown
from .embedded import EmbeddedServer, embedded_server
from .engine import Engine
from .errors import ConformanceError, HarnessError, TargetUnreachable, UsageError
from .events import Handler, RunFinished
from .profile import CAPABILITIES
from .report import (
    ConsoleReporter,
    EventsWriter,
    HtmlReportWriter,
    Isolated,
    JsonReportWriter,
    JUnitWriter,
    MarkdownWriter,
    ProgressDisplay,
    failures,
)
from .timing import (
    EMBEDDED_OBSERVATION,
    EMBEDDED_PACE,
    EMBEDDED_RETRY_DELAY,
    EMBEDDED_STREAM_IDLE_TIMEOUT,
    TEARDOWN,
    Timing,
)
from .verdicts import Outcome
from .wire import audio
from .wire.cost import parse_budget
from .wire.limits import ENDPOINTS, Concurrency

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
        default=os.environ.get("DEEPGRAM_API_KEY"),
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
        default=Path("reports"),
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


def config_from(
    args: argparse.Namespace,
    *,
    target: str,
    api_key: str,
    api_key_id: str | None,
    project_id: str | None,
    embedded: bool,
) -> RunConfig:
    """A run configuration: each setting from its flag, else the profile, else the default."""
    profile_data, profile_source = profile.load(args.profile)
    only = args.only or [_area(a) for a in profile_data.get("only", [])]
    gate = profile_data.get("gate", "MUST")
    capabilities = profile.pick(args.capabilities, profile_data, "capabilities", CAPABILITIES)
    deviations = profile.deviations_file(profile_data, profile_source)
    return RunConfig(
        target=target,
        ws_target=profile.pick(args.ws_target, profile_data, "ws_target", ""),
        credentials=Credentials(
            api_key,
            AuthScheme(profile.pick(args.auth_scheme, profile_data, "auth_scheme", "token")),
            api_key_id,
        ),
        project_id=project_id,
        callback_host=profile.pick(args.callback_host, profile_data, "callback_host", "127.0.0.1"),
        callback_public_url=profile.pick(
            args.callback_public_url, profile_data, "callback_public_url", None
        ),
        retry_delay=profile.pick(
            args.retry_delay,
            profile_data,
            "timing.retry_delay",
            EMBEDDED_RETRY_DELAY if embedded else 30.0,
        ),
        retry_count=profile.pick(args.retry_count, profile_data, "timing.retry_count", 10),
        stream_idle_timeout=profile.pick(
            args.stream_idle_timeout,
            profile_data,
            "timing.stream_idle_timeout",
            EMBEDDED_STREAM_IDLE_TIMEOUT if embedded else 10.0,
        ),
        pace=profile.pick(
            args.pace, profile_data, "timing.pace", EMBEDDED_PACE if embedded else 1.0
        ),
        areas=frozenset(only),
        strict=bool(args.strict) if args.strict is not None else gate == "SHOULD",
        capabilities=frozenset(capabilities),
        dialect=profile.pick(args.dialect, profile_data, "dialect", "v1"),
        report_dir=args.report_dir,
        timing=Timing(
            scale=profile.pick(args.time_scale, profile_data, "timing.time_scale", 1.0),
            observation_base=EMBEDDED_OBSERVATION if embedded else Timing.observation_base,
        ),
        examples=profile.pick(args.examples, profile_data, "timing.examples", DEFAULT_EXAMPLES),
        concurrency=Concurrency.of(profile.concurrency(args.concurrency, profile_data)),
        budget=profile.budget(args.budget, profile_data),
        embedded=embedded,
        baseline=regress.baseline(args.baseline) if args.baseline else None,
        waivers=regress.waivers(args.known_failing, catalogue.load()) if args.known_failing else {},
        deviations=regress.waivers(deviations, catalogue.load(), "deviations")
        if deviations
        else {},
        deviations_source=str(deviations) if deviations else None,
        profile=profile_data,
        profile_source=profile_source,
    )


@contextlib.asynccontextmanager
async def started_reference(
    args: argparse.Namespace, faults: tuple[str, ...] = (), tenants: bool = False
) -> AsyncIterator[EmbeddedServer]:
    """The embedded reference server, started with the timings the run of `args` declares."""
    profile_data, _ = profile.load(args.profile)
    timing = Timing(scale=profile.pick(args.time_scale, profile_data, "timing.time_scale", 1.0))
    planned = _embedded_config(args, None)
    async with embedded_server(
        planned.retry_delay,
        planned.retry_count,
        timing.server_start,
        timing.shutdown,
        faults=faults,
        stream_idle_timeout=planned.stream_idle_timeout,
        tenants=tenants,
    ) as server:
        yield server


def _embedded_config(args: argparse.Namespace, server: EmbeddedServer | None) -> RunConfig:
    """The configuration of a run against an embedded server (its embedded timings); without a
    server, the plan the server is started from."""
    planned = config_from(
        args,
        target=server.url if server else "http://127.0.0.1",
        api_key=server.api_key if server else "",
        api_key_id=server.api_key_id if server else None,
        project_id=server.project_id if server else None,
        embedded=True,
    )
    if server is None:
        return planned
    return replace(planned, ws_target=args.ws_target or derive_ws_url(server.url))


async def run_embedded(
    args: argparse.Namespace, handlers: Sequence[Handler], server: EmbeddedServer
) -> RunFinished:
    """Run against an embedded server already started (by this run or shared by a matrix)."""
    return await Engine(_embedded_config(args, server), handlers).run()


async def run_from_args(
    args: argparse.Namespace, handlers: Sequence[Handler], faults: tuple[str, ...] = ()
) -> RunFinished:
    """Run against --target, or against a freshly started reference server (with `faults` on,
    for the selftest); the CLI and the pytest plugin come through here."""
    profile_data, _ = profile.load(args.profile)
    target = profile.pick(args.target, profile_data, "target", None)
    if target is None:
        async with started_reference(args, faults) as server:
            return await run_embedded(args, handlers, server)
    if not args.api_key:
        raise UsageError("--target needs an API key: give --api-key or set DEEPGRAM_API_KEY")
    config = config_from(
        args,
        target=normalise_target(target),
        api_key=args.api_key,
        api_key_id=profile.pick(args.api_key_id, profile_data, "api_key_id", None),
        project_id=profile.pick(args.project_id, profile_data, "project_id", None),
        embedded=False,
    )
    return await Engine(config, handlers).run()


def outputs(args: argparse.Namespace, console: Console) -> list[Isolated]:
    """Every output the run was asked for, each isolated: one that fails (a bug, a full disk)
    neither stops the run nor the others, and leaves no file of an earlier run behind."""
    json_path, html_path = args.report_dir / "report.json", args.report_dir / "report.html"
    wanted = [
        Isolated("progress display", ProgressDisplay(console)),
        Isolated("console summary", ConsoleReporter(console)),
        Isolated(str(json_path), JsonReportWriter(json_path), [json_path]),
        Isolated(str(html_path), HtmlReportWriter(html_path), [html_path]),
    ]
    if args.markdown:
        wanted.append(Isolated(str(args.markdown), MarkdownWriter(args.markdown), [args.markdown]))
    elif os.environ.get("GITHUB_STEP_SUMMARY"):
        wanted.append(Isolated("$GITHUB_STEP_SUMMARY", MarkdownWriter(None)))
    if args.junit:
        wanted.append(Isolated(str(args.junit), JUnitWriter(args.junit), [args.junit]))
    if args.events:
        wanted.append(Isolated(str(args.events), EventsWriter(args.events), [args.events]))
    return wanted


def run_command(args: argparse.Namespace, console: Console) -> int:
    """`conformance run`: every requested report, then the exit code of the verdicts, or 3 when
    a report could not be written (said on stderr, one line each, after all were attempted)."""
    wanted = outputs(args, console)
    finished = loop.run(run_from_args(args, wanted), TEARDOWN)
    problems = failures(wanted)
    report = args.report_dir / "report.json"
    if not any(line.startswith(f"{report} ") for line in problems):
        console.print(f"report: {report}", highlight=False)
    for problem in problems:
        print(f"conformance: {problem}", file=sys.stderr)
    return EXIT_HARNESS if problems else EXIT_BY_OUTCOME[finished.outcome]


def requirements_command(console: Console) -> None:
    """`conformance requirements`: the catalogue as a table, or tab-separated when piped."""
    columns = ("ID", "level", "area", "source", "summary")
    rows = [
        (r.id, r.level.value, r.area, r.source, r.summary) for r in catalogue.load().requirements
    ]
    if not console.is_terminal:  # one whole requirement a line, for grep and cut
        console.file.write("".join("\t".join(row) + "\n" for row in (columns, *rows)))
        return
    table = Table(title="Requirement catalogue")
    table.add_column("ID", no_wrap=True, min_width=max(len(row[0]) for row in rows))
    for column in columns[1:]:
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(*row)
    console.print(table)


def validate_command(args: argparse.Namespace) -> int:
    """`conformance validate`: a line per judgement, and the reports a run writes."""
    handlers: list[Handler] = [MarkdownWriter(args.markdown)]
    if args.junit:
        handlers.append(JUnitWriter(args.junit))
    if args.report_dir:
        handlers.append(JsonReportWriter(args.report_dir / "report.json"))
    return EXIT_BY_OUTCOME[check_capture(args.files, args.kind, handlers, print)]


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `conformance` command; returns the exit code."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    if arguments[:1] == ["serve"]:
        from .reference.server import main as serve_main  # the CLI, not the suite, starts it

        return serve_main(arguments[1:])
    args = build_parser().parse_args(arguments)
    console = Console(highlight=False)
    try:
        if args.command == "requirements":
            if args.markdown:
                print(catalogue_markdown(catalogue.load()), end="")
            else:
                requirements_command(console)
            return EXIT_PASSED
        if args.command == "selftest":
            from .selftest import run_selftest  # imports this module's run machinery

            return (
                EXIT_PASSED
                if run_selftest(args.fault, int(args.parallel), console, args.full)
                else EXIT_FAILED
            )
        if args.command == "diff":
            result = regress.diff(regress.load_report(args.old), regress.load_report(args.new))
            print(regress.render(result), end="")
            return EXIT_FAILED if result.newly_failing else EXIT_PASSED
        if args.command == "validate":
            return validate_command(args)
        if args.command == "coverage" and args.documents:
            contract = catalogue.load()
            found = sentences.sentences(contract, args.docs or sentences.default_docs())
            console.print(sentences.render(found))
            stale = sentences.stale(found, contract)
            for line in stale:
                console.print(f"stale waiver (every sentence it names is enforced): {line}")
            return EXIT_PASSED if all(s.accounted for s in found) and not stale else EXIT_FAILED
        if args.command == "coverage":
            rows = coverage.table(catalogue.load(), args.spec or coverage.default_spec())
            console.print(coverage.render(rows))
            return EXIT_PASSED if all(row.accounted for row in rows) else EXIT_FAILED
        if args.command == "audio":
            wav = audio.CLIPS[args.clip]().wav
            if args.output:
                args.output.write_bytes(wav)
            else:
                sys.stdout.buffer.write(wav)
            return EXIT_PASSED
        return run_command(args, console)
    except UsageError as exc:
        return _fail(exc, EXIT_USAGE)
    except TargetUnreachable as exc:
        return _fail(exc, EXIT_UNREACHABLE)
    except HarnessError as exc:
        return _fail(exc, EXIT_HARNESS)
    except ConformanceError as exc:
        return _fail(exc, EXIT_HARNESS)
    except KeyboardInterrupt as exc:  # loop.Interrupted for SIGTERM, after the run's cleanup
        stop = signal.Signals(getattr(exc, "signum", signal.SIGINT))
        print(f"conformance: interrupted by {stop.name}", file=sys.stderr)
        return EXIT_BY_SIGNAL[stop]
    except Exception as exc:
        if os.environ.get("CONFORMANCE_DEBUG"):
            raise
        return _fail(f"internal error: {type(exc).__name__}: {exc}", EXIT_HARNESS)


def _fail(error: object, code: int) -> int:
    print(f"conformance: {error}", file=sys.stderr)
    return code
