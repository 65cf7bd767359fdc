"""The commands: each turns its parsed flags into a call of the API and an exit code; exit codes
are decided here and only here."""

from __future__ import annotations

import argparse
import os
import signal
import sys
from collections.abc import Sequence

from rich.console import Console
from rich.table import Table

from conformance import api
from conformance.capture.check import check as check_capture
from conformance.cli.load_command import load_command
from conformance.cli.parser import (
    EXIT_BY_OUTCOME,
    EXIT_BY_SIGNAL,
    EXIT_FAILED,
    EXIT_HARNESS,
    EXIT_PASSED,
    EXIT_UNREACHABLE,
    EXIT_USAGE,
    build_parser,
)
from conformance.contract import catalogue, coverage, sentences
from conformance.contract.docs import catalogue_markdown
from conformance.errors import ConformanceError, HarnessError, TargetUnreachable, UsageError
from conformance.report import (
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
from conformance.report.files import unwritable
from conformance.run import loop, profile, regress
from conformance.run.config import RunConfig
from conformance.run.events import Handler
from conformance.timing import TEARDOWN
from conformance.wire import audio

__all__ = ["EXIT_BY_OUTCOME", "EXIT_FAILED", "EXIT_HARNESS", "EXIT_PASSED", "main"]


def config_of(args: argparse.Namespace) -> RunConfig:
    """The run configuration of parsed `run` flags: the profile they name (else
    ./pyproject.toml's [tool.conformance]) and this process's environment."""
    return RunConfig.resolve(vars(args), profile.load(args.profile), os.environ)


def outputs(args: argparse.Namespace, config: RunConfig, console: Console) -> list[Isolated]:
    """Every output the run was asked for, each isolated: one that fails (a bug, a full disk)
    neither stops the run nor the others, and leaves no file of an earlier run behind."""
    json_path, html_path = config.report_dir / "report.json", config.report_dir / "report.html"
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


def check_writable(args: argparse.Namespace, config: RunConfig) -> None:
    """Every output path can be written, checked before the run (a usage error, in one line)
    rather than found after it."""
    paths = [("--report-dir", config.report_dir, True)]
    paths += [(f"--{n}", getattr(args, n), False) for n in ("junit", "markdown", "events")]
    for flag, path, directory in paths:
        why = unwritable(path, directory) if path is not None else ""
        if why:
            raise UsageError(f"{flag} {path} cannot be written: {why}")


def run_command(args: argparse.Namespace, console: Console) -> int:
    """`conformance run`: every requested report, then the exit code of the verdicts, or 3 when
    a report could not be written (said on stderr, one line each, after all were attempted)."""
    config = config_of(args)
    check_writable(args, config)
    wanted = outputs(args, config, console)
    finished = loop.run(api.run(config, wanted), TEARDOWN)
    problems = failures(wanted)
    report = config.report_dir / "report.json"
    if not any(line.startswith(f"{report} ") for line in problems):
        console.print(f"report: {report}", highlight=False, soft_wrap=True)
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


CI_WIDTH = 200
"""Columns of output when not on a terminal (a CI log): failure lines and tables are not
folded at 80 columns; $COLUMNS overrides it."""


def console_for(no_color: bool) -> Console:
    """The console: no colours with --no-color or $NO_COLOR (rich reads it), wide in CI logs."""
    console = Console(highlight=False, no_color=True if no_color else None)
    if not console.is_terminal and "COLUMNS" not in os.environ:
        console.width = CI_WIDTH
    return console


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `conformance` command; returns the exit code."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    if arguments[:1] == ["serve"]:
        from conformance.reference.server import (
            main as serve_main,  # the CLI, not the suite, starts it
        )

        return serve_main(arguments[1:])
    args = build_parser().parse_args(arguments)
    console = console_for(getattr(args, "no_color", False))
    try:
        if args.command == "requirements":
            if args.markdown:
                print(catalogue_markdown(catalogue.load()), end="")
            else:
                requirements_command(console)
            return EXIT_PASSED
        if args.command == "selftest":
            from conformance.selftest import run_selftest

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
            spec = args.spec_path or args.spec or coverage.default_spec()
            rows = coverage.table(
                catalogue.load(), spec, args.asyncapi or coverage.default_asyncapi()
            )
            console.print(coverage.render(rows))
            return EXIT_PASSED if all(row.accounted for row in rows) else EXIT_FAILED
        if args.command == "load":
            return load_command(args, console)
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
