"""`binance-mock record` and `binance-mock cassette import`: the command line of recording.

Credentials may come from BINANCE_API_KEY / BINANCE_API_SECRET so they need not show in `ps`.
No message here ever prints a credential: errors name the option, never its value.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

from mock_server.replay import recorder
from mock_server.replay.cassette import dumps, load_cassette, to_fixture
from mock_server.replay.recorder import (
    HISTORY,
    KEY_ENV,
    SECRET_ENV,
    Credentials,
    Plan,
    Recorder,
    RecordError,
    Scrubber,
    hmac_signer,
    key_signer,
    parse_time,
    render,
    write_atomic,
)

KEY_PASSWORD_ENV = "BINANCE_PRIVATE_KEY_PASSWORD"


class UsageError(Exception):
    pass


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    rec = sub.add_parser("record", help="record a cassette from an upstream (live Binance or another server)")
    rec.add_argument("--upstream", required=True, metavar="URL", help="e.g. https://api.binance.com")
    rec.add_argument("--api-key", default=None, help=f"API key (default: ${KEY_ENV})")
    rec.add_argument("--secret", default=None, help=f"HMAC secret (default: ${SECRET_ENV})")
    rec.add_argument("--key-type", choices=("hmac", "rsa", "ed25519"), default="hmac")
    rec.add_argument(
        "--private-key",
        metavar="PATH",
        help=f"PEM private key for rsa/ed25519 (password: ${KEY_PASSWORD_ENV})",
    )
    rec.add_argument("--out", required=True, metavar="CASSETTE", help="the cassette to write")
    rec.add_argument("--param", action="append", default=[], metavar="NAME=VALUE", help="a request parameter")
    rec.add_argument(
        "--all-pages", action="store_true", help="follow pages (size 100) until total is covered"
    )
    rec.add_argument("--start", help="start of the range: ms or ISO date; cut into 30-day windows")
    rec.add_argument("--end", help="end of the range, inclusive (default: now when --start is given)")
    rec.add_argument(
        "--sync-clock", action="store_true", help="offset timestamps by the upstream's /api/v3/time"
    )
    rec.add_argument("--recv-window", type=int, default=None, help="recvWindow to send (ms)")
    rec.add_argument(
        "--redact", action="append", default=[], metavar="VALUE", help="another value to scrub everywhere"
    )
    rec.add_argument("--force", action="store_true", help="replace an existing cassette")
    rec.add_argument(
        "--record-errors",
        action="store_true",
        help="keep error answers (default: the first one stops, nothing written)",
    )
    rec.set_defaults(run=run_record)

    cas = sub.add_parser("cassette", help="work with recorded cassettes")
    cas_sub = cas.add_subparsers(dest="cassette_command", required=True)
    imp = cas_sub.add_parser("import", help="turn a cassette's recorded rows into a ledger fixture")
    imp.add_argument("cassette", metavar="CASSETTE")
    imp.add_argument("--out", required=True, metavar="FIXTURE")
    imp.add_argument(
        "--api-key", default=None, help="mock account owning the rows (default: the mock's first account)"
    )
    imp.add_argument("--force", action="store_true", help="replace an existing fixture")
    imp.set_defaults(run=run_import)


def _fail(message: str, status: int) -> int:
    print(f"binance-mock: {message}", file=sys.stderr)
    return status


# --- record ---


def run_record(args: argparse.Namespace) -> int:
    if not args.force and Path(args.out).exists():
        return _fail(f"{args.out} exists; pass --force to replace it", 1)  # before any upstream call
    try:
        credentials = _credentials(args)
        plan = _plan(args)
        plan.check()
    except (UsageError, ValueError) as exc:
        return _fail(str(exc), 2)
    scrubber = Scrubber()
    for value in args.redact:
        scrubber.add(value)
    session = recorder.new_session()
    rec = Recorder(
        args.upstream,
        credentials,
        scrubber=scrubber,
        session=session,
        log=lambda line: print(line, file=sys.stderr),
    )
    try:
        if args.sync_clock:
            print(f"clock offset to the upstream: {rec.sync_clock()} ms", file=sys.stderr)
        cassette = rec.record(plan)
        blob = render(cassette, scrubber)
        write_atomic(args.out, blob, force=args.force)
    except (RecordError, FileExistsError) as exc:
        return _fail(scrubber.message(str(exc)), 1)
    except OSError as exc:
        return _fail(f"cannot write {args.out}: {exc.strerror or type(exc).__name__}", 1)
    finally:
        session.close()
    print(f"wrote {len(cassette.interactions)} recorded request(s) to {args.out}")
    return 0


def _credentials(args: argparse.Namespace) -> Credentials:
    api_key = args.api_key or os.environ.get(KEY_ENV)
    if not api_key:
        raise UsageError(f"an API key is required: --api-key or ${KEY_ENV}")
    secret = args.secret or os.environ.get(SECRET_ENV)
    if args.key_type == "hmac":
        if not secret:
            raise UsageError(f"an hmac key needs its secret: --secret or ${SECRET_ENV}")
        return Credentials(api_key, hmac_signer(secret), (secret,))
    if not args.private_key:
        raise UsageError(f"an {args.key_type} key needs --private-key PATH")
    key = _private_key(args.private_key, args.key_type)
    return Credentials(api_key, key_signer(key), (secret,) if secret else ())


def _private_key(path: str, key_type: str) -> Any:
    password = os.environ.get(KEY_PASSWORD_ENV)
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise UsageError(f"--private-key: cannot read the file ({exc.strerror})") from None
    try:
        key = serialization.load_pem_private_key(data, password.encode() if password else None)
    except (ValueError, TypeError):
        # The library's message may quote key material: name the problem only.
        raise UsageError("--private-key: not a PEM private key (or a wrong or missing password)") from None
    wanted = rsa.RSAPrivateKey if key_type == "rsa" else ed25519.Ed25519PrivateKey
    if not isinstance(key, wanted):
        raise UsageError(f"--private-key: not an {key_type} key")
    return key


def _plan(args: argparse.Namespace) -> Plan:
    params: list[tuple[str, str]] = []
    for n, item in enumerate(args.param, 1):
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise UsageError(f"--param #{n}: expected NAME=VALUE")
        params.append((name, value))
    start = end = None
    if args.end is not None and args.start is None:
        raise UsageError("--end needs --start")
    if args.start is not None:
        start = _time_option("--start", args.start)
        end = _time_option("--end", args.end, end=True) if args.end is not None else int(time.time() * 1000)
    if start is not None and end is not None and start > end:
        raise UsageError("--start is after --end")
    return Plan(
        params=params,
        start_ms=start,
        end_ms=end,
        all_pages=args.all_pages,
        recv_window=args.recv_window,
        record_errors=args.record_errors,
    )


def _time_option(option: str, text: str, end: bool = False) -> int:
    try:
        return parse_time(text, end=end, name=option)
    except ValueError as exc:
        message = str(exc)
        raise UsageError(message if message.startswith(option) else f"{option}: {message}") from None


# --- cassette import ---


def run_import(args: argparse.Namespace) -> int:
    try:
        cassette = load_cassette(args.cassette)
        fixture = to_fixture(cassette, HISTORY.path, args.api_key)
        write_atomic(args.out, dumps(fixture), force=args.force)
    except (ValueError, FileExistsError) as exc:
        return _fail(str(exc), 1)
    except OSError as exc:
        return _fail(f"{exc.filename or args.cassette}: {exc.strerror or type(exc).__name__}", 1)
    rows = len(fixture["accounts"][0]["rows"]) if "accounts" in fixture else len(fixture["rows"])
    print(f"wrote {rows} row(s) to {args.out}")
    return 0
