"""`python -m binance_mock.client_under_test history --start 2026-01-01 --end 2026-06-30 --format csv`

Credentials come from the environment, never from the command line (where `ps` and shell
history would show them): BINANCE_API_KEY, and BINANCE_API_SECRET for an HMAC key or
`--private-key PATH` for an RSA/Ed25519 key (passphrase, if any, in
BINANCE_PRIVATE_KEY_PASSPHRASE). Rows go to stdout or `--output` (written only when the
export is complete), oldest first. The progress bar goes to stderr, and only when stderr is
a terminal unless `--progress`/`--no-progress` says otherwise.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import sys
import tempfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import IO

from tqdm import tqdm

from binance_mock.client_under_test.client import DEFAULT_BASE_URL, MarginClient
from binance_mock.client_under_test.errors import ClientError
from binance_mock.client_under_test.history import Progress, split_windows
from binance_mock.client_under_test.models import Transfer, datetime_to_ms
from binance_mock.client_under_test.signing import HmacSigner, Signer, load_private_key

CSV_COLUMNS = ("txId", "timestamp", "time", "asset", "amount", "type", "status",
               "transFrom", "transTo", "fromSymbol", "toSymbol")  # fmt: skip
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def parse_moment(text: str, *, end_of_day: bool) -> int:
    """ms since the epoch from `2026-01-01` (a whole UTC day: its first or, for an end, its last
    millisecond), an ISO datetime (naive = UTC), or a number of milliseconds."""
    if text.isdigit():
        return int(text)
    if _DATE.fullmatch(text):
        day = datetime.combine(datetime.fromisoformat(text).date(), time(), tzinfo=UTC)
        if end_of_day:
            return datetime_to_ms(day + timedelta(days=1)) - 1
        return datetime_to_ms(day)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date, ISO datetime or ms timestamp: {text!r}") from None
    return datetime_to_ms(moment if moment.tzinfo else moment.replace(tzinfo=UTC))


def _start(text: str) -> int:
    return parse_moment(text, end_of_day=False)


def _end(text: str) -> int:
    return parse_moment(text, end_of_day=True)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m binance_mock.client_under_test")
    sub = parser.add_subparsers(dest="command", required=True)
    h = sub.add_parser("history", help="export cross margin transfer history")
    h.add_argument(
        "--start", required=True, type=_start, help="YYYY-MM-DD (from 00:00 UTC), ISO datetime, or ms"
    )
    h.add_argument(
        "--end", required=True, type=_end, help="YYYY-MM-DD (through 23:59:59.999 UTC), ISO datetime, or ms"
    )
    h.add_argument("--asset")
    h.add_argument("--type", choices=("ROLL_IN", "ROLL_OUT"))
    h.add_argument("--isolated-symbol")
    h.add_argument("--format", choices=("csv", "jsonl"), default="csv")
    h.add_argument("--output", "-o", help="file to write (default: stdout)")
    h.add_argument("--base-url", default=DEFAULT_BASE_URL)
    h.add_argument(
        "--private-key", metavar="PATH", help="PEM private key (RSA or Ed25519) instead of a secret"
    )
    h.add_argument("--pace-ms", type=int, default=500, help="minimum gap between requests (default 500)")
    h.add_argument("--no-sync-time", dest="sync_time", action="store_false", help="skip /api/v3/time")
    h.add_argument("--recv-window", type=int, default=5_000)
    h.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                   help="progress bar on stderr (default: only when stderr is a terminal)")  # fmt: skip
    return parser


def _signer(args: argparse.Namespace, env: Mapping[str, str]) -> Signer:
    if args.private_key:
        passphrase = env.get("BINANCE_PRIVATE_KEY_PASSPHRASE")
        return load_private_key(args.private_key, passphrase.encode() if passphrase else None)
    secret = env.get("BINANCE_API_SECRET")
    if not secret:
        raise ClientError("set BINANCE_API_SECRET (HMAC key) or pass --private-key (RSA/Ed25519)")
    return HmacSigner(secret)


def write_csv(rows: Iterable[Transfer], out: IO[str]) -> int:
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    n = 0
    for t in rows:
        iso = t.timestamp.isoformat(timespec="milliseconds").replace("+00:00", "Z")
        writer.writerow([t.tx_id, t.timestamp_ms, iso, t.asset, t.raw.get("amount", str(t.amount)), t.type,
                         t.status, t.trans_from or "", t.trans_to or "", t.from_symbol or "",
                         t.to_symbol or ""])  # fmt: skip
        n += 1
    return n


def write_jsonl(rows: Iterable[Transfer], out: IO[str]) -> int:
    n = 0
    for t in rows:
        out.write(json.dumps(dict(t.raw), separators=(",", ":")) + "\n")  # exactly as Binance sent it
        n += 1
    return n


class _Bar:
    """tqdm over windows, advanced by fractions of a window as its pages arrive."""

    def __init__(self, windows: int, stream: IO[str], enabled: bool) -> None:
        self._bar = tqdm(total=windows, unit="window", file=stream, disable=not enabled, dynamic_ncols=True)

    def __call__(self, p: Progress) -> None:
        done = p.window - 1 + (min(1.0, p.window_rows / p.window_total) if p.window_total else 1.0)
        self._bar.set_postfix(rows=p.rows + p.window_rows, requests=p.requests, refresh=False)
        self._bar.update(round(done - self._bar.n, 4))

    def close(self) -> None:
        self._bar.close()


def _history(args: argparse.Namespace, env: Mapping[str, str], stdout: IO[str], stderr: IO[str]) -> int:
    api_key = env.get("BINANCE_API_KEY")
    if not api_key:
        raise ClientError("set BINANCE_API_KEY")
    start, end = args.start, args.end
    if start > end:
        raise ClientError(f"--start is after --end ({start} > {end})")
    show = args.progress if args.progress is not None else stderr.isatty()
    bar = _Bar(len(split_windows(start, end)), stderr, show)
    writer = write_csv if args.format == "csv" else write_jsonl
    with MarginClient(api_key, _signer(args, env), args.base_url, pace_ms=args.pace_ms,
                      sync_time=args.sync_time, recv_window_ms=args.recv_window) as client:  # fmt: skip
        rows = client.history(start, end, args.asset, args.type, args.isolated_symbol, progress=bar)
        try:
            if args.output:
                count = _write_atomically(Path(args.output), lambda out: writer(rows, out))
            else:
                count = writer(rows, stdout)
        finally:
            bar.close()
    print(f"{count} rows, {client.stats.requests} requests, {client.stats.retries} retries", file=stderr)
    return 0


def _write_atomically(path: Path, write: Callable[[IO[str]], int]) -> int:
    # A half-written export looks complete to whoever reads it next: write aside, then rename.
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "w", newline="", encoding="utf-8") as out:
            count = write(out)
        os.replace(tmp, path)
        return count
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def main(
    argv: Sequence[str] | None = None,
    *,
    env: Mapping[str, str] | None = None,
    stdout: IO[str] | None = None,
    stderr: IO[str] | None = None,
) -> int:
    args = build_parser().parse_args(argv)
    out, err = stdout or sys.stdout, stderr or sys.stderr
    try:
        return _history(args, os.environ if env is None else env, out, err)
    except (ClientError, OSError, ValueError) as exc:
        print(f"error: {exc}", file=err)
        return 1
