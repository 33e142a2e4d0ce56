"""Klines (candlesticks) of any interval and window, from the minutes and trades of the market.

A kline of a whole-minute interval is its minutes' candles reduced (first open, highest high,
lowest low, last close, sums); the one holding `now` ends at now, its last minute built from the
trades so far. A 1s kline is its second's trades. Intervals start at multiples of their length
since the epoch in the time zone asked (UTC by default), weeks on Monday and months on the 1st.
"""

from __future__ import annotations

import calendar
import datetime as dt
from typing import Any

from mock_server.market.model import Market, Summary, join, reduce
from mock_server.market.path import MINUTE_MS
from mock_server.market.symbols import Pair
from mock_server.market.text import decimal, decimal_float

SECOND_MS, HOUR_MS, DAY_MS = 1_000, 3_600_000, 86_400_000
WEEK_MS = 7 * DAY_MS
_MONDAY_MS = 4 * DAY_MS  # the epoch was a Thursday; its first Monday is four days on
INTERVALS: dict[str, int] = {
    "1s": SECOND_MS, "1m": MINUTE_MS, "3m": 3 * MINUTE_MS, "5m": 5 * MINUTE_MS, "15m": 15 * MINUTE_MS,
    "30m": 30 * MINUTE_MS, "1h": HOUR_MS, "2h": 2 * HOUR_MS, "4h": 4 * HOUR_MS, "6h": 6 * HOUR_MS,
    "8h": 8 * HOUR_MS, "12h": 12 * HOUR_MS, "1d": DAY_MS, "3d": 3 * DAY_MS, "1w": WEEK_MS, "1M": 0,
}  # fmt: skip


def open_time(interval: str, t_ms: int, tz_ms: int) -> int:
    """The open time of the kline holding `t_ms`."""
    if interval == "1M":
        local = dt.datetime.fromtimestamp((t_ms + tz_ms) / 1000, dt.UTC)
        first = dt.datetime(local.year, local.month, 1, tzinfo=dt.UTC)
        return int(first.timestamp()) * 1000 - tz_ms
    size = INTERVALS[interval]
    shift = _MONDAY_MS if interval == "1w" else 0
    return (t_ms + tz_ms - shift) // size * size + shift - tz_ms


def next_open(interval: str, opened: int, tz_ms: int) -> int:
    if interval == "1M":
        local = dt.datetime.fromtimestamp((opened + tz_ms) / 1000, dt.UTC)
        year, month = (local.year + 1, 1) if local.month == 12 else (local.year, local.month + 1)
        return calendar.timegm((year, month, 1, 0, 0, 0)) * 1000 - tz_ms
    return opened + INTERVALS[interval]


def opens(
    interval: str, start: int | None, end: int | None, limit: int, now_ms: int, tz_ms: int
) -> list[int]:
    """The open times a request selects: open time from startTime to endTime (both inclusive),
    never after now; the first `limit` after a startTime, else the last `limit`."""
    last = open_time(interval, min(end, now_ms) if end is not None else now_ms, tz_ms)
    if start is not None:
        first = open_time(interval, start, tz_ms)
        if first < start:
            first = next_open(interval, first, tz_ms)
        out: list[int] = []
        t = first
        while t <= last and len(out) < limit:
            out.append(t)
            t = next_open(interval, t, tz_ms)
        return out
    if interval == "1M":
        out = [last]
        while len(out) < limit:
            back = open_time(interval, out[-1] - 1, tz_ms)
            out.append(back)
        return out[::-1]
    size = INTERVALS[interval]
    return list(range(last - (limit - 1) * size, last + 1, size))


def klines(
    market: Market, pair: Pair, interval: str, open_times: list[int], now_ms: int, tz_ms: int
) -> list[Summary]:
    """One summary a kline; the kline holding now ends at now."""
    if not open_times:
        return []
    closes = [next_open(interval, t, tz_ms) - 1 for t in open_times]
    if interval == "1s":
        return [market.summary(pair, t, c, now_ms) for t, c in zip(open_times, closes, strict=True)]
    if interval in DAILY:
        return _of_days(market, pair, open_times, closes, now_ms, tz_ms)
    whole_end = now_ms // MINUTE_MS  # minutes before this one are over
    first_minute = open_times[0] // MINUTE_MS
    last_whole = min(closes[-1] // MINUTE_MS + 1, whole_end)
    out: list[Summary] = []
    if last_whole > first_minute:
        c = market.candles(pair, first_minute, last_whole)
        for t, close in zip(open_times, closes, strict=True):
            lo = t // MINUTE_MS - first_minute
            hi = min((close + 1) // MINUTE_MS, last_whole) - first_minute
            if close >= now_ms or hi <= lo:
                break
            out.append(reduce(c, lo, hi, t, close))
    for t, close in zip(open_times[len(out) :], closes[len(out) :], strict=True):
        out.append(market.summary(pair, t, close, now_ms))
    return out


DAILY = frozenset({"1d", "3d", "1w", "1M"})


def _of_days(
    market: Market, pair: Pair, open_times: list[int], closes: list[int], now_ms: int, tz_ms: int
) -> list[Summary]:
    """Klines of whole days in the time zone: the past days remembered, today up to now."""
    today = (now_ms + tz_ms) // DAY_MS * DAY_MS - tz_ms
    out: list[Summary] = []
    for t, close in zip(open_times, closes, strict=True):
        starts = list(range(t, min(close + 1, today), DAY_MS))
        parts = market.days(pair, starts) if starts else []
        if close >= today:
            parts.append(market.summary(pair, today, close, now_ms))
        out.append(join(parts))
    return out


def row(pair: Pair, opened: int, closed: int, s: Summary) -> list[Any]:
    """Binance's kline array: open time, OHLC, volume, close time, quote volume, trades, taker buy
    base and quote volumes, and an unused field."""
    p, q = pair.price_digits, pair.qty_digits
    return [
        opened, decimal(s.open, p), decimal(s.high, p), decimal(s.low, p), decimal(s.close, p), decimal(s.volume, q),
        closed, decimal_float(s.quote), s.trades, decimal(s.taker_buy, q), decimal_float(s.taker_buy_quote), "0",
    ]  # fmt: skip
