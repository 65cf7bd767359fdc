"""Command line: parse arguments, run the reference server, and announce where it listens."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from functools import partial
from typing import NoReturn

from .app import create_app
from .model.faults import FAULTS, unknown_faults
from .model.settings import DEFAULT_API_KEY, DEFAULT_API_KEY_ID, DEFAULT_PROJECT_ID, Settings
from .model.variants import VARIANTS, unknown_variants
from .serving import Server, base_url, bind, config
from .tenants import create_tenants

API_KEY_ENV = "CONFORMANCE_REFERENCE_API_KEY"


def _port(value: str) -> int:
    """A TCP port number; 0 asks the OS for a free one."""
    port = int(value) if value.isdigit() else -1
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{value!r} is not a port number (0-65535)")
    return port


def _non_negative(kind: Callable[[str], float]) -> Callable[[str], float]:
    """An argparse type that parses with kind and refuses negative values."""

    def parse(value: str) -> float:
        number = kind(value)
        if number < 0:
            raise argparse.ArgumentTypeError(f"{value!r} must not be negative")
        return number

    return parse


def _non_empty(value: str) -> str:
    """Refuse an empty credential or identifier."""
    if not value:
        raise argparse.ArgumentTypeError("must not be empty")
    return value


class OneLineParser(argparse.ArgumentParser):
    """argparse that reports a bad flag in one line and exits 2, as `conformance run` does (the
    server keeps its own parser: it never imports the suite)."""

    def error(self, message: str) -> NoReturn:
        """One line on stderr, pointing at --help."""
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    """The documented command-line interface."""
    parser = OneLineParser(
        prog="conformance serve",
        description="Reference implementation of the speech API contract, with fault switches "
        "and variants of the live service.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default %(default)s)")
    parser.add_argument(
        "--port", type=_port, default=8000, help="port to bind; 0 picks a free one (default 8000)"
    )
    parser.add_argument(
        "--api-key",
        type=_non_empty,
        default=os.environ.get(API_KEY_ENV) or DEFAULT_API_KEY,
        help=f"API key clients must present (default ${API_KEY_ENV} or {DEFAULT_API_KEY!r})",
    )
    parser.add_argument(
        "--api-key-id",
        type=_non_empty,
        default=DEFAULT_API_KEY_ID,
        help="identifier of that key, sent as dg-token on callbacks (default %(default)s)",
    )
    parser.add_argument(
        "--project-id",
        type=_non_empty,
        default=DEFAULT_PROJECT_ID,
        help="the one project the key belongs to (default %(default)s)",
    )
    parser.add_argument(
        "--retry-delay",
        type=_non_negative(float),
        default=30.0,
        metavar="SECONDS",
        help="delay between callback attempts (default 30)",
    )
    parser.add_argument(
        "--retry-count",
        type=_non_negative(int),
        default=10,
        metavar="N",
        help="callback retries after a failed first attempt (default 10: 11 attempts)",
    )
    parser.add_argument(
        "--callback-timeout",
        type=_non_negative(float),
        default=10.0,
        metavar="SECONDS",
        help="how long one callback attempt may take before it is retried (default 10)",
    )
    parser.add_argument(
        "--stream-idle-timeout",
        type=_non_negative(float),
        default=10.0,
        metavar="SECONDS",
        help="end a stream that sends no frame for this long: Metadata, close 1011 (default 10)",
    )
    parser.add_argument(
        "--fault",
        action="append",
        default=[],
        metavar="NAME",
        help="break one documented requirement on purpose (repeatable; see --list-faults)",
    )
    parser.add_argument("--list-faults", action="store_true", help="list fault names and exit")
    parser.add_argument(
        "--variant",
        action="append",
        default=[],
        metavar="NAME",
        help="imitate one attested behaviour of the live service (repeatable; see --list-variants)",
    )
    parser.add_argument("--list-variants", action="store_true", help="list variant names and exit")
    parser.add_argument(
        "--allow-private-urls",
        action="store_true",
        help="let audio URLs resolve to loopback or private addresses (off: refused, no SSRF)",
    )
    parser.add_argument(
        "--allow-private-callbacks",
        action="store_true",
        help="let callback URLs resolve to loopback or private addresses (off: refused, no SSRF)",
    )
    parser.add_argument(
        "--tenants",
        action="store_true",
        help="also serve /fault/NAME[+NAME]/... and /variant/NAME[+NAME]/..., each a server of "
        "its own with those switches on (one process for a whole fault matrix)",
    )
    parser.add_argument(
        "--ready-json",
        action="store_true",
        help="print one JSON line describing the server once it listens, instead of the banner",
    )
    return parser


def ready_line(settings: Settings, host: str, port: int) -> str:
    """The single machine-readable line for --ready-json (never the API key)."""
    return json.dumps(
        {
            "url": base_url("http", host, port),
            "ws_url": base_url("ws", host, port),
            "api_key_id": settings.api_key_id,
            "project_id": settings.project_id,
            "faults": sorted(settings.faults),
        }
    )


def banner(settings: Settings, host: str, port: int, tenants: bool = False) -> str:
    """What a person starting the server needs to point a client at it."""
    url = base_url("http", host, port)
    faults = ", ".join(sorted(settings.faults)) or "none"
    variants = ", ".join(sorted(settings.variants)) or "none"
    return "\n".join(
        [
            f"Reference server listening on {url} (WebSocket {base_url('ws', host, port)})",
            f"  API key:     {settings.api_key}",
            f"  API key id:  {settings.api_key_id}",
            f"  Project id:  {settings.project_id}",
            f"  Faults on:   {faults}",
            f"  Variants on: {variants}",
            *(
                [f"  Per prefix:  {url}/fault/NAME/... and {url}/variant/NAME/..."]
                if tenants
                else []
            ),
            "Try:",
            f'  curl -H "Authorization: Token {settings.api_key}" -H "Content-Type: audio/wav" \\',
            f'    --data-binary @audio.wav "{url}/v1/listen?punctuate=true"',
            "Press Ctrl+C to stop.",
        ]
    )


def _say(text: str) -> None:
    """Print and flush, so a parent process reading our stdout sees it at once."""
    print(text, flush=True)


def _list(table: Mapping[str, str]) -> int:
    """Print a switch table; a reader that stops early (| head) is not an error."""
    try:
        sys.stdout.write("".join(f"{name}\t{text}\n" for name, text in table.items()))
        sys.stdout.flush()
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the server until interrupted; 0 on a clean stop, 2 on bad arguments or a busy port."""
    args = build_parser().parse_args(argv)
    if args.list_faults:
        return _list(FAULTS)
    if args.list_variants:
        return _list(VARIANTS)
    bad = unknown_faults(args.fault)
    if bad:
        print(f"reference: unknown fault {bad[0]!r} (see --list-faults)", file=sys.stderr)
        return 2
    odd = unknown_variants(args.variant)
    if odd:
        print(f"reference: unknown variant {odd[0]!r} (see --list-variants)", file=sys.stderr)
        return 2
    settings = Settings(
        api_key=args.api_key,
        api_key_id=args.api_key_id,
        project_id=args.project_id,
        faults=frozenset(args.fault),
        variants=frozenset(args.variant),
        allow_private_urls=args.allow_private_urls,
        allow_private_callbacks=args.allow_private_callbacks,
        callback_timeout=args.callback_timeout,
        stream_idle_timeout=args.stream_idle_timeout,
        retry_delay=args.retry_delay,
        retry_count=int(args.retry_count),
    )
    try:
        sock = bind(args.host, args.port)
    except OSError as error:
        reason = error.strerror or str(error)
        print(f"reference: cannot listen on {args.host}:{args.port}: {reason}", file=sys.stderr)
        return 2
    port = int(sock.getsockname()[1])
    announce = ready_line if args.ready_json else partial(banner, tenants=args.tenants)
    app = create_tenants(settings) if args.tenants else create_app(settings)
    server = Server(config(app), lambda: _say(announce(settings, args.host, port)))
    with sock:
        server.run(sockets=[sock])
    return 0
