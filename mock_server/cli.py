"""`binance-mock`: the command line."""

from __future__ import annotations

import argparse
import errno
import os
import signal
import socket
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NoReturn
from urllib.parse import urlsplit

from mock_server.exchange import Exchange, Settings
from mock_server.exchange.settings import build_settings as settings_from_options
from mock_server.replay.cassette import MATCHERS
from mock_server.replay.proxy import CLI_NAMES, DEFAULT_TIMEOUT_S, RECORD_MODES
from mock_server.rules.fidelity import parse_assignments
from mock_server.rules.units import seconds_mistake
from mock_server.state.data import DEFAULT_ROWS

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8900


LOG_LEVELS = ("critical", "error", "warning", "info", "debug", "trace")


class Parser(argparse.ArgumentParser):
    """A usage mistake is one line and where to read more, not the whole usage block first.
    `add_parser` builds each subcommand's parser of this class too, so all of them answer so."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message}\nrun `{self.prog} --help` for the options\n")


def file_problem(option: str, path: str) -> str | None:
    """Why the file an option names cannot be read, naming the option; None if it can."""
    p = Path(path)
    if not p.exists():
        return f"{option} {path}: no such file"
    if p.is_dir():
        return f"{option} {path}: is a folder, not a file"
    if not os.access(p, os.R_OK):
        return f"{option} {path}: cannot be read (permission denied)"
    return None


def _input_files(args: argparse.Namespace) -> list[tuple[str, str]]:
    named = [("--fixture", f) for f in args.fixture]
    named += [(o, v) for o, v in (("--keys", args.keys), ("--scenario", args.scenario),
                                  ("--profile", args.profile)) if v]  # fmt: skip
    if args.cassette and args.record_mode == "none":  # recording creates a missing cassette
        named.append(("--cassette", args.cassette))
    return named


def _int_in(low: int, high: int) -> Callable[[str], int]:
    """An argparse type: an integer from low to high, else a usage error naming the range."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{value} is not between {low} and {high}")
        return value

    return parse


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not 0 < value <= 3600:
        raise argparse.ArgumentTypeError(f"{text} is not above 0 and at most 3600 seconds")
    return value


def _instant_ms(text: str) -> int:
    """An argparse type: milliseconds since the epoch, refusing a Unix time in seconds."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not milliseconds since the epoch") from None
    mistake = seconds_mistake("the value", value)
    if mistake is not None:
        raise argparse.ArgumentTypeError(mistake)
    return value


def _serve_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("serve", help="run the mock exchange")
    p.add_argument("--host", default=DEFAULT_HOST)
    p.add_argument("--port", type=_int_in(0, 65535), default=DEFAULT_PORT, help="0 picks a free port")
    p.add_argument("--seed", type=int, default=7, help="seed of the generated data (default 7)")
    p.add_argument(
        "--anchor-ms",
        type=_instant_ms,
        default=None,
        help="newest moment of the generated data (default now)",
    )
    p.add_argument(
        "--rows",
        type=_int_in(0, 10**8),
        default=DEFAULT_ROWS,
        help=f"generated rows per account (default {DEFAULT_ROWS})",
    )
    p.add_argument(
        "--fixture", action="append", default=[], metavar="PATH", help="load rows from a fixture file"
    )
    p.add_argument("--keys", metavar="PATH", help="accounts file replacing the demo key")
    p.add_argument("--profile", metavar="FILE", help="fidelity profile (JSON or TOML)")
    p.add_argument(
        "--fidelity", action="append", default=[], metavar="NAME=VALUE", help="one fidelity decision"
    )
    p.add_argument(
        "--ip-weight-limit",
        type=_int_in(1, 10**12),
        default=None,
        help="per-minute IP weight limit of /api and of each /sapi endpoint",
    )
    p.add_argument(
        "--min-interval-ms",
        type=_int_in(0, 86_400_000),
        default=0,
        help="pacing: closer calls of one account get -21003",
    )
    p.add_argument(
        "--scenario", metavar="PATH", help="faults, clock, pacing and rows at start (JSON or TOML)"
    )
    p.add_argument("--admin-token", default=None, help="required by the control API (mandatory off loopback)")
    p.add_argument(
        "--journal-size",
        type=_int_in(1, 10**7),
        default=1000,
        help="requests kept in the journal (default 1000)",
    )
    p.add_argument("--workers", type=int, default=1, help="must be 1: the mock's state lives in one process")
    p.add_argument("--log-level", default="warning", choices=LOG_LEVELS)
    p.add_argument("--cassette", metavar="PATH", help="replay recorded answers (see `binance-mock record`)")
    p.add_argument(
        "--on-miss", choices=("error", "ledger"), default="error", help="a request the cassette lacks"
    )
    p.add_argument(
        "--record-mode",
        choices=RECORD_MODES,
        default="none",
        help="none: replay only; new: replay what matches, forward and record the rest; all: forward and re-record",
    )
    p.add_argument("--upstream", metavar="URL", help="where new|all forward, e.g. https://api.binance.com")
    p.add_argument(
        "--match",
        choices=MATCHERS,
        default=None,
        help="params (default): every parameter but timestamp, recvWindow, signature; "
        "sequence: also not startTime/endTime, recordings served in order",
    )
    p.add_argument(
        "--upstream-timeout",
        type=_seconds,
        default=DEFAULT_TIMEOUT_S,
        metavar="SECONDS",
        help=f"an upstream silent this long is a -1007 to the app (default {DEFAULT_TIMEOUT_S:g})",
    )
    p.add_argument(
        "--redact", action="append", default=[], metavar="VALUE", help="a value to scrub from recordings"
    )
    p.add_argument(
        "--only-exact", action="store_true", help="serve the exact endpoints alone (404 -1099 elsewhere)"
    )


def build_settings(args: argparse.Namespace) -> Settings:
    return settings_from_options(
        CLI_NAMES, seed=args.seed, anchor_ms=args.anchor_ms, rows=args.rows, fixtures=args.fixture,
        keys=args.keys, profile=args.profile, fidelity=parse_assignments(args.fidelity),
        min_interval_ms=args.min_interval_ms, ip_weight_limit=args.ip_weight_limit, scenario=args.scenario,
        journal_size=args.journal_size, cassette=args.cassette, on_miss=args.on_miss, match=args.match,
        record_mode=args.record_mode, upstream=args.upstream, upstream_timeout_s=args.upstream_timeout,
        redact=args.redact, only_exact=args.only_exact,
    )  # fmt: skip


def _serve(args: argparse.Namespace) -> int:

    from mock_server.http.app import create_app
    from mock_server.http.control import is_loopback
    from mock_server.http.server import AnnouncingServer, server_config

    if args.workers != 1:
        # Ledger, faults, journal, pacing and weights are per process: N workers would each
        # answer from their own copy and disagree. Refuse rather than diverge silently.
        print(
            "binance-mock: --workers must be 1 (the state lives in one process); "
            "for more throughput run several mocks on several ports",
            file=sys.stderr,
        )
        return 2
    if not is_loopback(args.host) and not args.admin_token:
        print(
            f"binance-mock: binding {args.host} exposes the control API; pass --admin-token", file=sys.stderr
        )
        return 2
    problems = [p for option, path in _input_files(args) if (p := file_problem(option, path))]
    if problems:
        print("\n".join(f"binance-mock: {p}" for p in problems), file=sys.stderr)
        return 2
    try:
        settings = build_settings(args)
        exchange = Exchange(settings)
    except (OSError, ValueError) as exc:
        # An OSError's own text is "[Errno 2] No such file or directory: 'x'"; say it plainly.
        shown = f"{exc.filename}: {exc.strerror}" if isinstance(exc, OSError) and exc.filename else exc
        print(f"binance-mock: {shown}", file=sys.stderr)
        return 2
    try:
        sock = _listen(args.host, args.port)
        _refuse_forwarding_to_itself(exchange, sock)
    except OSError as exc:
        print(f"binance-mock: {exc}", file=sys.stderr)
        return 2
    if exchange.recording is not None and exchange.upstream is not None:
        r = exchange.recording
        print(
            f"binance-mock: recording ({r.mode}) into {r.path}, forwarding to {exchange.upstream.origin}",
            file=sys.stderr,
        )
    app = create_app(exchange=exchange, admin_token=args.admin_token)
    # uvicorn re-raises the SIGTERM it handled once it has drained (exit 128+15); with a no-op
    # as the handler it restores, a drained stop exits 0.
    signal.signal(signal.SIGTERM, lambda signum, frame: None)
    AnnouncingServer(server_config(app, args.host, args.port, args.log_level)).run(sockets=[sock])
    return 0


def _refuse_forwarding_to_itself(exchange: Exchange, sock: socket.socket) -> None:
    from mock_server.http.control import is_loopback

    upstream = exchange.upstream
    if upstream is None:
        return
    parts = urlsplit(upstream.url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    bound = sock.getsockname()[1]
    if port == bound and is_loopback(parts.hostname):
        sock.close()
        raise OSError(
            f"--upstream {upstream.origin} is this mock itself: every request would forward to itself"
        )


def _listen(host: str, port: int) -> socket.socket:
    """The listening socket, bound before anything is printed (`--port 0` picks a free port)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise OSError(
                exc.errno, f"{host}:{port} is in use; pick another --port (0 for any free one)"
            ) from None
        raise OSError(exc.errno, f"cannot listen on {host}:{port}: {exc.strerror}") from None
    sock.listen(2048)
    return sock


# Other subcommands live beside what they run, registered as entry points (pyproject.toml).
SUBCOMMANDS = "binance_mock.subcommands"


def main(argv: Sequence[str] | None = None) -> int:
    from importlib.metadata import entry_points

    parser = Parser(prog="binance-mock", description="A fake Binance for tests.")
    sub = parser.add_subparsers(dest="command", required=True)
    _serve_parser(sub)
    for point in sorted(entry_points(group=SUBCOMMANDS), key=lambda p: p.name):
        point.load()(sub)
    args, extra = parser.parse_known_args(argv)
    if extra:  # argparse would blame the top parser; the subcommand's own help lists its options
        sub.choices[args.command].error(f"unrecognized arguments: {' '.join(extra)}")
    if args.command == "serve":
        return _serve(args)
    return int(args.run(args))


if __name__ == "__main__":
    sys.exit(main())
