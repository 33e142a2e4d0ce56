"""`make test-freqtrade`: the real freqtrade (PyPI, pinned in requirements.txt beside this file)
against `binance-mock serve`, by base URL alone.

Run with the Python of freqtrade's own virtualenv (it reads freqtrade's candle files with pandas):

    .venv-freqtrade/bin/python tests/apps/freqtrade/run.py --binance-mock .venv/bin/binance-mock

Four checks, each a freqtrade command a user would run:

1. `list-pairs` lists exactly the mock's spot pairs;
2. `download-data` for BTC/USDT and ETH/USDT in 1m, 5m and 1h over three days saves contiguous
   candles, each equal to what the mock's `GET /api/v3/klines` answers for it;
3. `trade --dry-run` with MockProbe (strategies/) reads candles, opens a trade per pair at the
   mock's prices, refreshes its candles when a minute closes, from the kline streams (freqtrade's
   default, `enable_ws`), not by polling REST, exits when the run steers the prices up, and stops
   cleanly on SIGTERM;
4. `trade` for real (config.live.json over config.json) with MockLive and the demo account: it buys
   each pair, rests a take-profit that fills when the run steers the prices up, and its database
   (orders, trades, fees) and wallet then equal the mock's orders, fills and SPOT wallet.

Every request freqtrade makes must be answered below 400. The closing line is the plain
`freqtrade: N passed, N failed`; on a failure, freqtrade's log tail and the mock journal's last
entries are printed.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import itertools
import json
import math
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
TEMPLATE_HOST = "127.0.0.1:8900"  # the mock's address in config.json; the run swaps in its own
PAIRS = ("BTC/USDT", "ETH/USDT")
TIMEFRAMES = {"1m": 60_000, "5m": 300_000, "1h": 3_600_000}
DAYS = 3
DRY_RUN_LIMIT_S = 120.0  # the dry run's bound: start-up, two trades, then a closed minute
EXIT_LIMIT_S = 60.0  # then, once the price is steered up, both trades exit within this
RISE = 1.06  # the steered rise, above the strategy's 3% take-profit
DRY_RUN_MIN_S = 30.0  # and at least this long with its API up: six bot loops of 5 s
LIVE_LIMIT_S = 90.0  # the live run's bound: start-up, both pairs bought, both take-profits resting
LIVE_START = {"USDT": "1000", "BTC": "0", "ETH": "0"}  # the demo account's SPOT wallet before it
# ccxt's status of an order of each of Binance's statuses, as freqtrade stores it
CCXT_STATUS = {"NEW": "open", "PARTIALLY_FILLED": "open", "FILLED": "closed", "CANCELED": "canceled",
               "EXPIRED": "expired", "EXPIRED_IN_MATCH": "expired", "REJECTED": "rejected"}  # fmt: skip
EIGHT = Decimal("1e-8")
# What freqtrade's log must never hold (the warning is the strategy's, when a pair has no candles).
BAD_LOG = re.compile(r"Empty candle \(OHLCV\) data|Traceback \(most recent call last\)| - ERROR - ")


class CheckFailed(Exception):
    """One check's failure, with what to print about it."""

    def __init__(self, message: str, log: Path | None = None) -> None:
        super().__init__(message)
        self.log = log


@dataclass
class Mock:
    """The running `binance-mock serve`, and the journal ids already looked at."""

    base_url: str
    process: subprocess.Popen[bytes]
    seen_id: int = 0

    def get(self, path: str, **params: Any) -> Any:
        response = requests.get(self.base_url + path, params=params, timeout=30)
        response.raise_for_status()
        return response.json()

    def put(self, path: str, body: dict[str, Any]) -> Any:
        response = requests.put(self.base_url + path, json=body, timeout=30)
        response.raise_for_status()
        return response.json()

    def journal(self) -> list[dict[str, Any]]:
        entries: list[dict[str, Any]] = self.get("/_mock/requests")["requests"]
        return entries

    def new_entries(self) -> list[dict[str, Any]]:
        """The journal's entries since the last call."""
        fresh = [e for e in self.journal() if e["id"] > self.seen_id]
        if fresh:
            self.seen_id = max(e["id"] for e in fresh)
        return fresh

    def klines(self, symbol: str, interval: str, start_ms: int, end_ms: int) -> list[list[Any]]:
        """Every kline opening in [start_ms, end_ms], paged by startTime as a client would."""
        rows: list[list[Any]] = []
        while start_ms <= end_ms:
            page = self.get(
                "/api/v3/klines",
                symbol=symbol,
                interval=interval,
                startTime=start_ms,
                endTime=end_ms,
                limit=1000,
            )
            if not page:
                break
            rows.extend(page)
            start_ms = page[-1][0] + 1
        return rows


@dataclass
class Report:
    results: list[tuple[str, bool, str]] = field(default_factory=list)
    durations: dict[str, float] = field(default_factory=dict)

    def run(self, name: str, check: Callable[[], str], mock: Mock) -> None:
        started = time.monotonic()
        try:
            detail = check()
        except Exception as error:  # a check's failure, or anything it did not expect
            self.results.append((name, False, f"{type(error).__name__}: {error}"))
            log = error.log if isinstance(error, CheckFailed) else None
            _print_failure(name, log, mock)
        else:
            self.results.append((name, True, detail))
        self.durations[name] = time.monotonic() - started
        _, passed, said = self.results[-1]
        print(f"{'PASS' if passed else 'FAIL'} {name} ({self.durations[name]:.1f} s): {said}", flush=True)


def _print_failure(name: str, log: Path | None, mock: Mock) -> None:
    print(f"---- {name}: freqtrade's log, last 40 lines ({log}) ----")
    if log and log.exists():
        print("\n".join(log.read_text(encoding="utf-8", errors="replace").splitlines()[-40:]))
    print("---- the mock's journal, last 15 entries ----")
    with contextlib.suppress(Exception):
        for entry in mock.journal()[-15:]:
            print(
                entry["id"], entry["method"], entry["path"], entry["params"], entry["status"], entry["code"]
            )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextlib.contextmanager
def running_mock(command: str, workdir: Path) -> Iterator[Mock]:
    """`binance-mock serve --port 0`, until /_mock/health answers; stopped whatever happens."""
    log = workdir / "mock.log"
    with log.open("wb") as out:
        process = subprocess.Popen([command, "serve", "--port", "0"], stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        base_url = ""
        while time.monotonic() < deadline and process.poll() is None:
            if match := re.search(r"serving on (http://\S+)", log.read_text(errors="replace")):
                base_url = match[1]
                with contextlib.suppress(requests.RequestException):
                    if requests.get(base_url + "/_mock/health", timeout=2).ok:
                        break
            time.sleep(0.1)
        else:
            raise RuntimeError(f"binance-mock serve did not come up: {log.read_text(errors='replace')}")
        yield Mock(base_url, process)
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def write_config(mock: Mock, workdir: Path, api_port: int) -> Path:
    """config.json with the mock's URL for every URL family of the installed ccxt's binance."""
    import ccxt  # freqtrade's ccxt, from this virtualenv

    text = (
        (HERE / "config.json")
        .read_text(encoding="utf-8")
        .replace(TEMPLATE_HOST, urlsplit(mock.base_url).netloc)
    )
    config = json.loads(text)
    config["api_server"]["listen_port"] = api_port
    families = set(ccxt.binance().urls["api"])
    for name in ("ccxt_config", "ccxt_async_config"):
        missing = families - set(config["exchange"][name]["urls"]["api"])
        if missing:  # a newer ccxt with a new family: it would reach the real Binance
            raise CheckFailed(f"config.json's {name} misses ccxt's URL families {sorted(missing)}")
    # The streams freqtrade watches its candles on, ccxt pro's for a spot market: named by the
    # asynchronous client's config (check 3 shows they are the mock's).
    streams = set(config["exchange"]["ccxt_async_config"]["urls"]["api"].get("ws", {}))
    if streams != {"spot", "margin"}:
        raise CheckFailed(
            f"config.json's ccxt_async_config names the streams {sorted(streams)}, not spot and margin"
        )
    path = workdir / "config.json"
    path.write_text(json.dumps(config, indent=2), encoding="utf-8")
    return path


@dataclass
class Freqtrade:
    executable: Path
    config: Path
    userdir: Path

    def run(self, name: str, *args: str, timeout: float = 300) -> tuple[str, Path]:
        """A freqtrade command to its end: its stdout, and its log file (stderr too)."""
        log = self.userdir.parent / f"{name}.log"
        with log.open("w", encoding="utf-8") as err:
            done = subprocess.run(
                [str(self.executable), *args, "-c", str(self.config), "--userdir", str(self.userdir)],
                stdout=subprocess.PIPE,
                stderr=err,
                text=True,
                timeout=timeout,
                env={**os.environ, "NO_COLOR": "1", "COLUMNS": "200"},
            )
        if done.returncode != 0:
            raise CheckFailed(f"freqtrade {args[0]} exited {done.returncode}", log)
        _check_log(log)
        return done.stdout, log


def _check_log(log: Path) -> None:
    bad = [line for line in log.read_text(encoding="utf-8").splitlines() if BAD_LOG.search(line)]
    if bad:
        raise CheckFailed(f"{log.name} holds {len(bad)} bad lines, the first: {bad[0][:300]}", log)


def _answered_below_400(mock: Mock, log: Path) -> list[dict[str, Any]]:
    entries = mock.new_entries()
    failed = [e for e in entries if e["status"] >= 400]
    if failed:
        first = failed[0]
        raise CheckFailed(
            f"{len(failed)} of freqtrade's {len(entries)} requests failed, the first: {first['method']} "
            f"{first['path']} {first['params']} -> {first['status']} {first['code']} {first['msg']}",
            log,
        )
    return entries


def check_list_pairs(freqtrade: Freqtrade, mock: Mock) -> str:
    out, log = freqtrade.run("list-pairs", "list-pairs", "--print-json")
    _answered_below_400(mock, log)
    listed = json.loads(out.strip().splitlines()[-1])
    info = mock.get("/api/v3/exchangeInfo")
    expected = sorted(
        f"{s['baseAsset']}/{s['quoteAsset']}"
        for s in info["symbols"]
        if s["status"] == "TRADING" and s["isSpotTradingAllowed"]
    )
    if sorted(listed) != expected:
        raise CheckFailed(f"freqtrade lists {sorted(listed)}, the mock's spot pairs are {expected}", log)
    if not set(PAIRS) <= set(listed):
        raise CheckFailed(f"{PAIRS} not among {listed}", log)
    return f"{len(listed)} spot pairs, the mock's exchangeInfo's: {', '.join(listed[:4])}, ..."


def check_download_data(freqtrade: Freqtrade, mock: Mock) -> str:
    import pandas as pd

    now = datetime.fromtimestamp(mock.get("/api/v3/time")["serverTime"] / 1000, UTC)
    end = now.replace(hour=0, minute=0, second=0, microsecond=0)
    start = end - timedelta(days=DAYS)
    start_ms, end_ms = int(start.timestamp() * 1000), int(end.timestamp() * 1000)
    timerange = f"{start:%Y%m%d}-{end:%Y%m%d}"
    _, log = freqtrade.run(
        "download-data",
        "download-data",
        "--pairs",
        *PAIRS,
        "--timeframes",
        *TIMEFRAMES,
        "--timerange",
        timerange,
    )
    _answered_below_400(mock, log)
    counts = []
    for pair in PAIRS:
        for timeframe, step in TIMEFRAMES.items():
            path = freqtrade.userdir / "data" / "binance" / f"{pair.replace('/', '_')}-{timeframe}.feather"
            if not path.exists():
                raise CheckFailed(f"no {path.name} saved", log)
            frame = pd.read_feather(path)
            opens = [int(t.timestamp() * 1000) for t in frame["date"]]
            where = f"{path.name} ({len(frame)} candles)"
            if not opens:
                raise CheckFailed(f"{where} is empty", log)
            if opens[0] != start_ms or opens[-1] < end_ms - step:
                raise CheckFailed(f"{where} spans {opens[0]}..{opens[-1]}, not {timerange}", log)
            gaps = [(a, b) for a, b in itertools.pairwise(opens) if b - a != step]
            if gaps:
                raise CheckFailed(f"{where} is not contiguous at {gaps[:3]}", log)
            symbol = pair.replace("/", "")
            served = mock.klines(symbol, timeframe, opens[0], opens[-1])
            saved = frame[["open", "high", "low", "close", "volume"]].itertuples(index=False)
            for open_ms, row, kline in zip(opens, saved, served, strict=False):
                if [open_ms, *row] != [kline[0], *map(float, kline[1:6])]:
                    raise CheckFailed(f"{where}: saved {[open_ms, *row]}, the mock serves {kline[:6]}", log)
            if len(served) != len(opens):
                raise CheckFailed(f"{where}: the mock serves {len(served)} klines for its span", log)
            counts.append(f"{pair} {timeframe}: {len(opens)}")
    return f"{timerange}, every candle equal to the mock's klines ({'; '.join(counts)})"


def _api(port: int, path: str, **params: Any) -> Any:
    response = requests.get(
        f"http://127.0.0.1:{port}/api/v1/{path}", params=params, auth=("probe", "probe"), timeout=10
    )
    response.raise_for_status()
    return response.json()


def check_dry_run(freqtrade: Freqtrade, mock: Mock, api_port: int) -> str:
    database = freqtrade.userdir.parent / "trades.dryrun.sqlite"
    detail, _ = _trade(
        freqtrade,
        mock,
        "trade",
        ["--dry-run", "--strategy", "MockProbe"],
        database,
        lambda bot, log: _watch_the_bot(bot, mock, api_port, log, database),
    )
    return detail


def _trade(
    freqtrade: Freqtrade,
    mock: Mock,
    name: str,
    options: list[str],
    database: Path,
    watch: Callable[[subprocess.Popen[bytes], Path], str],
) -> tuple[str, list[dict[str, Any]]]:
    """`freqtrade trade` with these options, watched until `watch` returns, then stopped by
    SIGTERM: it must stop cleanly, log nothing bad, and every request it made be answered. What
    `watch` said, and the journal's entries since it started."""
    log = freqtrade.userdir.parent / f"{name}.log"
    command = [
        str(freqtrade.executable),
        "trade",
        "-c",
        str(freqtrade.config),
        *options,  # after the config: a further -c overrides it
        "--userdir",
        str(freqtrade.userdir),
        "--strategy-path",
        str(HERE / "strategies"),
        "--db-url",
        f"sqlite:///{database}",
        "--logfile",
        str(log),
    ]
    with (freqtrade.userdir.parent / f"{name}.out").open("wb") as out:
        bot = subprocess.Popen(
            command, stdout=out, stderr=subprocess.STDOUT, env={**os.environ, "NO_COLOR": "1"}
        )
    try:
        detail = watch(bot, log)
    finally:
        if bot.poll() is None:
            bot.send_signal(signal.SIGTERM)
        try:
            code = bot.wait(30)
        except subprocess.TimeoutExpired:
            bot.kill()
            raise CheckFailed("freqtrade did not stop within 30 s of SIGTERM", log) from None
    # freqtrade turns SIGTERM into its Ctrl-C path: it cleans up, then exits 130.
    if code not in (0, 130) or "calling exit" not in log.read_text(encoding="utf-8"):
        raise CheckFailed(f"freqtrade did not stop cleanly (exit status {code})", log)
    _check_log(log)
    return detail, _answered_below_400(mock, log)


def _watch_the_bot(bot: subprocess.Popen[bytes], mock: Mock, port: int, log: Path, database: Path) -> str:
    deadline = time.monotonic() + DRY_RUN_LIMIT_S
    first_stop: int | None = None
    api_up: float | None = None
    status: list[dict[str, Any]] = []
    candles: dict[str, Any] = {}
    while True:
        if bot.poll() is not None:
            raise CheckFailed(f"freqtrade trade exited early ({bot.returncode})", log)
        if time.monotonic() > deadline:
            raise CheckFailed(
                f"within {DRY_RUN_LIMIT_S:.0f} s: {len(status)} open trades, candles up to "
                f"{candles.get('data_stop')} (first seen {first_stop})",
                log,
            )
        time.sleep(2)
        try:
            status = _api(port, "status")
            candles = _api(port, "pair_candles", pair=PAIRS[0], timeframe="1m", limit=30)
        except requests.RequestException:
            continue  # the API server is not up yet
        api_up = api_up or time.monotonic()
        if not candles.get("data"):
            continue
        first_stop = first_stop or candles["data_stop_ts"]
        # Done when both pairs hold a trade and a minute has closed since the first candles (the
        # bot has both read its history and refreshed it), after a few loops.
        refreshed = candles["data_stop_ts"] > first_stop
        if len(status) == len(PAIRS) and refreshed and time.monotonic() - api_up >= DRY_RUN_MIN_S:
            break
    streams = mock.get("/_mock/streams")["connections"]  # while the bot still listens
    _check_log(log)
    entries = _answered_below_400(mock, log)  # freqtrade's, before this script's own below
    analysed = {PAIRS[0]: candles} | {
        pair: _api(port, "pair_candles", pair=pair, timeframe="1m", limit=30) for pair in PAIRS[1:]
    }
    streamed = _candles_came_over_the_stream(mock, log, streams, entries, analysed)
    with contextlib.closing(sqlite3.connect(database)) as db:
        trades = db.execute("SELECT pair, open_rate, is_open FROM trades ORDER BY pair").fetchall()
    if sorted(t[0] for t in trades) != sorted(PAIRS) or not all(t[2] for t in trades):
        raise CheckFailed(f"the database holds {trades}, not one open trade per pair", log)
    for pair, open_rate, _ in trades:
        last = float(mock.get("/api/v3/ticker/price", symbol=pair.replace("/", ""))["price"])
        if not math.isclose(open_rate, last, rel_tol=0.01):
            raise CheckFailed(f"{pair} opened at {open_rate}, the mock's price is {last}", log)
    closed = _steer_up_and_see_the_exits(bot, mock, log, database)
    return (
        f"{streamed}; trades opened at the mock's price ({', '.join(f'{p} at {r}' for p, r, _ in trades)}) "
        f"and, the price steered up {RISE - 1:.0%}, exited at a profit ({closed}); "
        f"{len(entries)} requests to the mock, all answered"
    )


def _candles_came_over_the_stream(
    mock: Mock,
    log: Path,
    streams: list[dict[str, Any]],
    entries: list[dict[str, Any]],
    analysed: dict[str, dict[str, Any]],
) -> str:
    """What shows that freqtrade read its candles from the kline streams, not from REST: it
    subscribed to each pair's `<symbol>@kline_1m` and was sent their events (the mock's
    GET /_mock/streams); each pair's newest analysed candle closed after freqtrade's last
    `GET /api/v3/klines` of that pair (the history it reads once at start), so REST never
    served it closed; it never logged falling back to REST; and the analysed candles, streamed
    ones included, equal the mock's klines. freqtrade falls back to REST without an error when a
    stream gives it nothing: each of these fails then."""
    wanted = {f"{pair.replace('/', '').lower()}@kline_1m" for pair in PAIRS}
    listening = {name for c in streams if c["events"] for name in c["streams"]}
    if not wanted <= listening:
        raise CheckFailed(f"freqtrade listens to {sorted(listening)} (GET /_mock/streams: {streams})", log)
    fallback = [
        line for line in log.read_text(encoding="utf-8").splitlines() if "falling back to REST" in line
    ]
    if fallback:
        raise CheckFailed(f"freqtrade fell back to REST {len(fallback)} times: {fallback[0][:300]}", log)
    said = []
    for pair, frame in analysed.items():
        symbol = pair.replace("/", "")
        columns = frame["columns"]
        at = {k: columns.index(k) for k in ("__date_ts", "open", "high", "low", "close", "volume")}
        rows = [[row[at[k]] for k in at] for row in frame["data"]]
        if not rows:
            raise CheckFailed(f"freqtrade analysed no {pair} candles", log)
        served = mock.klines(symbol, "1m", rows[0][0], rows[-1][0])
        expected = [[k[0], *map(float, k[1:6])] for k in served]
        if rows != expected:
            raise CheckFailed(
                f"{pair}: the bot's candles differ from the mock's klines: {rows[-1]} vs {expected[-1]}", log
            )
        asked = [
            e["time"]
            for e in entries
            if e["path"] == "/api/v3/klines"
            and ["symbol", symbol] in e["params"]
            and ["interval", "1m"] in e["params"]
        ]
        closed = rows[-1][0] + 60_000
        if not asked or max(asked) >= closed:
            raise CheckFailed(
                f"{pair}: freqtrade's newest candle closed at {closed}, its klines requests were at {asked}",
                log,
            )
        said.append(
            f"{pair} {len(rows)}, the newest closed {(closed - max(asked)) / 1000:.0f} s after its last klines request"
        )
    return (
        f"subscribed to {' and '.join(sorted(wanted))} (GET /_mock/streams), its analysed 1m candles "
        f"equal to the mock's klines, the newest from the stream ({'; '.join(said)})"
    )


def _steer_up_and_see_the_exits(bot: subprocess.Popen[bytes], mock: Mock, log: Path, database: Path) -> str:
    """Set each pair's price 6% above the mock's now (PUT /_mock/market/{symbol}), as a test of a
    bot's take-profit would, and wait for freqtrade to close both trades at a profit."""
    for pair in PAIRS:
        symbol = pair.replace("/", "")
        price = float(mock.get("/api/v3/ticker/price", symbol=symbol)["price"]) * RISE
        response = requests.put(
            f"{mock.base_url}/_mock/market/{symbol}", json={"price": f"{price:.2f}"}, timeout=30
        )
        if response.status_code != 200:
            raise CheckFailed(f"steering {symbol} answered {response.status_code} {response.text}", log)
    deadline = time.monotonic() + EXIT_LIMIT_S
    while True:
        if bot.poll() is not None:
            raise CheckFailed(f"freqtrade trade exited early ({bot.returncode})", log)
        with contextlib.closing(sqlite3.connect(database)) as db:
            done = db.execute(
                "SELECT pair, open_rate, close_rate, close_profit FROM trades WHERE is_open = 0 ORDER BY pair"
            ).fetchall()
        if sorted({t[0] for t in done}) == sorted(PAIRS):
            break
        if time.monotonic() > deadline:
            raise CheckFailed(f"within {EXIT_LIMIT_S:.0f} s of the rise, closed trades: {done}", log)
        time.sleep(2)
    for pair, open_rate, close_rate, profit in done:
        if not (close_rate > open_rate and profit > 0.02):
            raise CheckFailed(f"{pair} closed at {close_rate} from {open_rate} (profit {profit})", log)
    return ", ".join(f"{p} {o} -> {c} ({f:+.1%})" for p, o, c, f in done)


def check_live(freqtrade: Freqtrade, mock: Mock, api_port: int) -> str:
    """`freqtrade trade` for real with the demo account: MockLive buys each pair once and rests a
    take-profit 4% up; the run steers the prices through it; then freqtrade's database and wallet
    must hold what the mock's control API shows, order by order, fill by fill, asset by asset."""
    key = json.loads(freqtrade.config.read_text(encoding="utf-8"))["exchange"]["key"]
    account = f"/_mock/accounts/{key}"
    for asset, free in LIVE_START.items():
        mock.put(f"{account}/balances", {"wallet": "SPOT", "asset": asset, "free": free})
    if mock.get(f"{account}/orders")["orders"]:
        raise CheckFailed("the demo account has orders before freqtrade's first")
    database = freqtrade.userdir.parent / "trades.live.sqlite"
    wallet: dict[str, Any] = {}

    def watch(bot: subprocess.Popen[bytes], log: Path) -> str:
        resting = _see_the_take_profits_rest(bot, mock, api_port, account, log, database)
        closed = _steer_up_and_see_the_exits(bot, mock, log, database)
        wallet.update(_api(api_port, "balance"))  # freqtrade's wallet, before it stops
        return f"{resting}; the price steered up {RISE - 1:.0%}, both filled ({closed})"

    detail, calls = _trade(
        freqtrade,
        mock,
        "trade-live",
        ["-c", str(HERE / "config.live.json"), "--strategy", "MockLive"],
        database,
        watch,
    )
    log = freqtrade.userdir.parent / "trade-live.log"
    compared = _compare_with_the_mock(mock, account, database, wallet, log)
    signed = collections.Counter(
        f"{e['method']} {e['path']}" for e in calls if "signature" in dict(e["params"])
    )
    counted = ", ".join(f"{call} x{n}" for call, n in sorted(signed.items()))
    return f"{detail}; {compared}; its signed calls, all answered: {counted}"


def _rows(database: Path, sql: str) -> list[dict[str, Any]]:
    with contextlib.closing(sqlite3.connect(database)) as db:
        db.row_factory = sqlite3.Row
        return [dict(row) for row in db.execute(sql)]


ORDERS_SQL = "SELECT o.*, t.pair FROM orders o JOIN trades t ON o.ft_trade_id = t.id ORDER BY o.id"


def _see_the_take_profits_rest(
    bot: subprocess.Popen[bytes], mock: Mock, port: int, account: str, log: Path, database: Path
) -> str:
    """Wait until freqtrade has bought both pairs and each take-profit rests, on its side and on
    the mock's, its base asset locked in the SPOT wallet."""
    deadline = time.monotonic() + LIVE_LIMIT_S
    selling: dict[str, dict[str, Any]] = {}
    while len(selling) < len(PAIRS):
        if bot.poll() is not None:
            raise CheckFailed(f"freqtrade trade exited early ({bot.returncode})", log)
        if time.monotonic() > deadline:
            raise CheckFailed(f"within {LIVE_LIMIT_S:.0f} s, open take-profits: {sorted(selling)}", log)
        time.sleep(2)
        try:
            _api(port, "status")  # up, its database made
        except requests.RequestException:
            continue
        orders = _rows(database, ORDERS_SQL)
        selling = {o["pair"]: o for o in orders if o["ft_order_side"] == "sell" and o["status"] == "open"}
    resting = {str(o["orderId"]): o for o in mock.get(f"{account}/orders", open="true")["orders"]}
    if sorted(resting) != sorted(o["order_id"] for o in selling.values()):
        raise CheckFailed(f"freqtrade's open orders {selling}, the mock's {list(resting.values())}", log)
    spot = mock.get(account)["wallets"]["SPOT"]
    for pair, order in selling.items():
        on_mock = resting[order["order_id"]]
        base = pair.split("/")[0]
        if (on_mock["side"], on_mock["status"]) != ("SELL", "NEW") or _d8(spot[base]["locked"]) != _d8(
            on_mock["origQty"]
        ):
            raise CheckFailed(f"{pair}: the mock rests {on_mock}, {base} in SPOT {spot[base]}", log)
    return "bought both pairs at once, each take-profit resting on the mock, its base asset locked (" + (
        ", ".join(f"{p} {o['amount']} at {o['price']}" for p, o in sorted(selling.items())) + ")"
    )


def _compare_with_the_mock(
    mock: Mock, account: str, database: Path, wallet: dict[str, Any], log: Path
) -> str:
    """freqtrade's orders and trades tables and its wallet against the mock's orders, fills and
    SPOT wallet."""
    orders = _rows(database, ORDERS_SQL)
    trades = _rows(database, "SELECT * FROM trades ORDER BY id")
    on_mock = {str(o["orderId"]): o for o in mock.get(f"{account}/orders")["orders"]}
    fills: dict[str, list[dict[str, Any]]] = {}
    for fill in mock.get(f"{account}/trades")["trades"]:
        fills.setdefault(str(fill["orderId"]), []).append(fill)
    if sorted(o["order_id"] for o in orders) != sorted(on_mock):
        raise CheckFailed(
            f"freqtrade's orders {[o['order_id'] for o in orders]}, the mock's {sorted(on_mock)}", log
        )
    fees: dict[str, Decimal] = {}  # each order's commission, in what the mock charged it in
    for order in orders:
        theirs = on_mock[order["order_id"]]
        mine = fills.get(order["order_id"], [])
        where = f"order {order['order_id']} ({order['pair']} {order['side']})"
        seen = (
            order["symbol"].replace("/", ""), order["side"], order["order_type"], order["status"],
            _d8(order["amount"]), _d8(order["price"]), _d8(order["filled"]), _d8(order["cost"]),
            _ms(order["order_date"]), _ms(order["order_filled_date"]),
        )  # fmt: skip
        expected = (
            theirs["symbol"], theirs["side"].lower(), theirs["type"].lower(), CCXT_STATUS[theirs["status"]],
            _d8(theirs["origQty"]), _d8(theirs["price"]), _d8(theirs["executedQty"]),
            _d8(theirs["cummulativeQuoteQty"]), theirs["time"],
            theirs["updateTime"] if theirs["status"] == "FILLED" else None,  # when ccxt says it filled
        )  # fmt: skip
        if seen != expected:
            raise CheckFailed(f"{where}: freqtrade stores {seen}, the mock shows {expected}", log)
        if (
            sum(_d8(f["qty"]) for f in mine) != expected[6]
            or sum(_d8(f["quoteQty"]) for f in mine) != expected[7]
        ):
            raise CheckFailed(f"{where}: the mock's fills {mine} do not add up to {theirs}", log)
        if mine and not math.isclose(order["average"], float(expected[7] / expected[6]), rel_tol=1e-9):
            raise CheckFailed(
                f"{where}: freqtrade's average {order['average']}, the mock's fills' {mine}", log
            )
        assets = {f["commissionAsset"] for f in mine}
        received = order["pair"].split("/")[0 if order["side"] == "buy" else 1]
        if assets - {received}:
            raise CheckFailed(f"{where}: commission in {assets}, not in {received}, what it received", log)
        fees[order["order_id"]] = sum((_d8(f["commission"]) for f in mine), Decimal(0))
        if order["side"] == "buy" and mine and _d8(order["ft_fee_base"]) != fees[order["order_id"]]:
            raise CheckFailed(
                f"{where}: freqtrade's fee {order['ft_fee_base']}, the mock's fills {mine}", log
            )
    balances = {asset: Decimal(free) for asset, free in LIVE_START.items()}
    for trade in trades:
        where = f"trade {trade['id']} ({trade['pair']})"
        base, quote = trade["pair"].split("/")
        mine = [o for o in orders if o["ft_trade_id"] == trade["id"] and _d8(o["filled"])]
        entries = [o for o in mine if o["side"] == "buy"]
        exits = [o for o in mine if o["side"] == "sell"]
        if trade["is_open"] or len(entries) != 1 or len(exits) != 1:
            raise CheckFailed(f"{where}: not one filled entry and one filled exit, closed: {trade}", log)
        entry, exit_ = entries[0], exits[0]
        seen = (
            trade["fee_open_currency"], trade["fee_close_currency"], _d8(trade["fee_close_cost"]),
            _d8(trade["amount"]), trade["open_rate"], trade["close_rate"],
        )  # fmt: skip
        expected = (
            base, quote, fees[exit_["order_id"]], _d8(exit_["filled"]), entry["average"], exit_["average"],
        )  # fmt: skip
        if seen != expected:
            raise CheckFailed(
                f"{where}: freqtrade stores {seen}, its orders and the mock's fills {expected}", log
            )
        for order, rate in ((entry, trade["fee_open"]), (exit_, trade["fee_close"])):
            received = _d8(order["filled"]) if order["side"] == "buy" else _d8(order["cost"])
            if not math.isclose(rate, float(fees[order["order_id"]] / received), rel_tol=1e-3):
                raise CheckFailed(
                    f"{where}: fee rate {rate}, the mock charged {fees[order['order_id']]}", log
                )
        balances[quote] += _d8(exit_["cost"]) - fees[exit_["order_id"]] - _d8(entry["cost"])
        balances[base] += _d8(entry["filled"]) - fees[entry["order_id"]] - _d8(exit_["filled"])
    spot = mock.get(account)["wallets"]["SPOT"]
    theirs_spot = {a: (_d8(spot[a]["free"]), _d8(spot[a]["locked"])) for a in balances}
    if theirs_spot != {a: (amount, Decimal(0)) for a, amount in balances.items()}:
        raise CheckFailed(
            f"from freqtrade's orders the wallet holds {balances}, the mock's SPOT (free, locked) {theirs_spot}",
            log,
        )
    held = {c["currency"]: (_d8(c["free"]), _d8(c["balance"])) for c in wallet.get("currencies", [])}
    if any(held.get(a, (Decimal(0), Decimal(0))) != (amount, amount) for a, amount in balances.items()):
        raise CheckFailed(f"freqtrade's wallet (free, total) {held}, the mock's SPOT {theirs_spot}", log)
    return (
        f"its {len(orders)} orders and {len(trades)} trades equal the mock's orders and "
        f"{sum(map(len, fills.values()))} fills, its wallet the mock's SPOT "
        f"({', '.join(f'{a} {v.normalize():f}' for a, v in balances.items())})"
    )


def _ms(stored: str | None) -> int | None:
    """A date of freqtrade's database (UTC, naive) in milliseconds."""
    if stored is None:
        return None
    return round(datetime.fromisoformat(stored).replace(tzinfo=UTC).timestamp() * 1000)


def _d8(value: Any) -> Decimal:
    """A float of freqtrade's database or a decimal string of the mock's, to eight decimals."""
    return Decimal(repr(value) if isinstance(value, float) else str(value or 0)).quantize(EIGHT)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--binance-mock", default=str(ROOT / ".venv" / "bin" / "binance-mock"))
    parser.add_argument("--freqtrade", default=str(Path(sys.executable).parent / "freqtrade"))
    parser.add_argument("--workdir", default=str(ROOT / "build" / "freqtrade"))
    args = parser.parse_args()
    workdir = Path(args.workdir)
    shutil.rmtree(workdir, ignore_errors=True)
    userdir = workdir / "user_data"
    workdir.mkdir(parents=True)
    report = Report()
    started = time.monotonic()
    with running_mock(args.binance_mock, workdir) as mock:
        print(f"binance-mock at {mock.base_url}; freqtrade's files in {workdir}")
        api_port = _free_port()
        config = write_config(mock, workdir, api_port)
        freqtrade = Freqtrade(Path(args.freqtrade), config, userdir)
        subprocess.run(
            [args.freqtrade, "create-userdir", "--userdir", str(userdir)], check=True, capture_output=True
        )
        mock.new_entries()  # what came before freqtrade's first command is not freqtrade's
        report.run("list-pairs", lambda: check_list_pairs(freqtrade, mock), mock)
        report.run("download-data", lambda: check_download_data(freqtrade, mock), mock)
        report.run("trade --dry-run", lambda: check_dry_run(freqtrade, mock, api_port), mock)
        report.run("trade (live)", lambda: check_live(freqtrade, mock, api_port), mock)
    passed = sum(ok for _, ok, _ in report.results)
    failed = len(report.results) - passed
    print(f"whole run {time.monotonic() - started:.1f} s")
    print(f"freqtrade: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
