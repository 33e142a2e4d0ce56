"""One seeded market: every price, candle, trade and book an endpoint shows, from the paths.

A minute is the unit: minute m's candle has open = the pair's price at the end of minute m-1 and
close = its price at the end of m (mock_server/market/path.py), wicks, a trade count and a volume
hashed from (seed, symbol, m). Its trades are laid out from the candle: the first at the open,
the last at the close, one at the high and one at the low, the others between; their quantities
split the volume exactly, and those of the buyers' taker orders split the taker buy volume. So a
candle is computable without its trades (a year of daily klines touches no trade), and the
trades agree with it. Only what the mock's clock has reached exists: the minute holding `now`
shows its trades up to now, and its candle is built from them. Prices are integers of ticks and
quantities integers of lot steps, so every sum is exact. A steered symbol
(mock_server/market/steering.py) takes its closes from its steering records instead, from the
minute each record starts in; that minute's candle is built from its trades.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from dataclasses import dataclass, replace
from typing import NamedTuple

import numpy as np

from mock_server.market.path import MINUTE_MS, Floats, Ints, log_prices, mix, salt, unit
from mock_server.market.steering import Plan, Steer, Steering, to_ticks
from mock_server.market.symbols import PAIRS, Pair, asset

ID_SLOTS = 128  # trade ids of minute m are m * 128 + 0, 1, ...: they grow with time, per symbol
MAX_TRADES = ID_SLOTS - 1
DAY_MINUTES = 1_440
DAYS_KEPT = 40_000  # about 10 MB: ten years of days for eleven pairs
DAYS_A_BATCH = 32  # 46,080 minutes: a few MB of arrays at a time
STEERED_KEPT = 4_096  # the trades of minutes a steer marks
MINUTES_KEPT = 2_048  # the trades of recent minutes: an order, a ticker, avgPrice read the same ones


class Candles(NamedTuple):
    """Whole minutes, one entry each (prices in ticks, volumes in lot steps)."""

    minute: Ints
    open: Ints
    high: Ints
    low: Ints
    close: Ints
    volume: Ints
    taker_buy: Ints
    trades: Ints
    quote: Floats  # quote asset volume, in the quote asset
    taker_buy_quote: Floats


class Trade(NamedTuple):
    id: int
    time_ms: int
    price: int  # ticks
    qty: int  # lot steps
    buyer_maker: bool


@dataclass(frozen=True, slots=True)
class Summary:
    """Everything a window of trades says: what klines and tickers are made of."""

    open: int
    high: int
    low: int
    close: int
    volume: int
    quote: float
    trades: int
    taker_buy: int
    taker_buy_quote: float
    first_id: int  # -1 without trades
    last_id: int
    first_ms: int
    last_ms: int
    last_qty: int


class Market:
    def __init__(self, seed: int, anchor_ms: int, pairs: tuple[Pair, ...] = PAIRS) -> None:
        self.seed = seed
        self.anchor_minute = anchor_ms // MINUTE_MS
        self.pairs = pairs
        self.by_symbol = {p.symbol: p for p in pairs}
        self._anchor_ms = anchor_ms
        # Whole days, summed once: a daily, weekly or monthly kline then costs its days, not its
        # minutes. Bounded (least recently used goes), so memory stays flat.
        self._days: OrderedDict[tuple[str, int, int], Summary] = OrderedDict()
        self.steering = Steering()
        # The trades of minutes a steer marks, by (symbol, minute, serial of the steer in force).
        self._steered: OrderedDict[tuple[str, int, int], list[Trade]] = OrderedDict()
        # Every minute's trades, by (symbol, minute, serial of the last steer that shapes it):
        # laying a minute out costs a millisecond, and orders read the same minutes again and again.
        self._minutes: OrderedDict[tuple[str, int, int], list[Trade]] = OrderedDict()

    def listed_ms(self, pair: Pair) -> int:
        """The pair's first trade: its listing, or a year before the anchor if that is earlier
        (a mock anchored in the past still has a history)."""
        return min(pair.listed_ms, self._anchor_ms - 365 * 86_400_000)

    def pair(self, symbol: str) -> Pair | None:
        return self.by_symbol.get(symbol)

    # --- prices ---

    def closes(self, pair: Pair, minutes: Ints) -> Ints:
        """The pair's price at the end of each minute, in ticks."""
        return self._closes(
            pair, minutes, self.usd(pair.base, minutes), self.usd(pair.quote, minutes), self._recs(pair)
        )

    def _recs(self, pair: Pair) -> tuple[Steer, ...]:
        return self.steering.of(pair.symbol)

    def _seeded(self, pair: Pair, minute: int) -> float:
        """The unsteered price at the end of a minute, in the quote asset (not rounded to a tick)."""
        at = np.array([minute], dtype=np.int64)
        return float(self.usd(pair.base, at)[0] / self.usd(pair.quote, at)[0])

    def _closes(
        self, pair: Pair, minutes: Ints, base_usd: Floats, quote_usd: Floats, recs: tuple[Steer, ...],
        raw: int | None = None,
    ) -> Ints:  # fmt: skip
        """Closes in ticks; a minute holding a steer's start or point closes at its last trade
        (all but `raw`, whose close is the line's: its trades are being laid out from it)."""
        seeded = base_usd / quote_usd
        out = _ticks(pair, seeded)
        if not recs:
            return out
        ends = (minutes + 1) * MINUTE_MS
        which = np.searchsorted(np.array([r.start_ms for r in recs]), ends, side="left") - 1
        for k, r in enumerate(recs):
            mask = which == k
            if mask.any():
                out[mask] = _steered_ticks(pair, r, ends[mask], seeded[mask])
        for m in _marked(recs):
            if m != raw and int(minutes[0]) <= m <= int(minutes[-1]):
                out[m - int(minutes[0])] = self._trades(pair, m, recs)[-1].price
        return out

    def usd(self, name: str, minutes: Ints) -> Floats:
        """An asset's dollar price at the end of each minute."""
        a = asset(name)
        return a.usd * np.exp(
            log_prices(salt(self.seed, "asset", name), a.daily_vol, self.anchor_minute, minutes)
        )

    def candles(self, pair: Pair, first: int, end: int) -> Candles:
        """The whole minutes first .. end-1, as if each were over (the caller cuts at now)."""
        return self._candles(pair, first, end, self._recs(pair))

    def _candles(
        self, pair: Pair, first: int, end: int, recs: tuple[Steer, ...], raw: bool = False
    ) -> Candles:
        """`raw`: one minute laid out from its closes alone, though a steer marks it."""
        minutes = np.arange(first, end, dtype=np.int64)
        span = np.arange(first - 1, end, dtype=np.int64)
        quote_usd = self.usd(pair.quote, span)  # for the closes, and for the volume in dollars
        closes = self._closes(pair, span, self.usd(pair.base, span), quote_usd, recs, first if raw else None)
        o, c = closes[:-1], closes[1:]
        key = salt(self.seed, "candle", pair.symbol)
        # Wicks: a fraction of a minute's typical move, at least nothing, in ticks.
        minute_move = asset(pair.base).daily_vol / math.sqrt(1440) + asset(pair.quote).daily_vol / math.sqrt(
            1440
        )
        scale = np.maximum(o, c) * max(minute_move, 0.00005) * 0.6
        up = np.floor(unit(mix(key, _K_UP), minutes) ** 2 * scale).astype(np.int64)
        down = np.floor(unit(mix(key, _K_DOWN), minutes) ** 2 * scale).astype(np.int64)
        high = np.maximum(o, c) + up
        low = np.maximum(np.minimum(o, c) - down, 1)
        spread = 2 * pair.trades_per_minute - 4
        n = 4 + np.floor(unit(mix(key, _K_COUNT), minutes) * (spread + 1)).astype(np.int64)
        n = np.minimum(n, MAX_TRADES)
        # Volume: the base asset's dollars a minute, log-normal-ish around its typical amount.
        typical = asset(pair.base).minute_volume_usd * (1.0 if pair.quote == "USDT" else 0.05)
        wobble = np.exp(2.0 * unit(mix(key, _K_VOLUME), minutes) - 1.0) * (
            0.5 + unit(mix(key, _K_BURST), minutes) ** 4 * 4
        )
        price = (o + c) / 2 / 10**pair.price_digits * quote_usd[1:]
        steps = np.floor(typical * wobble / price * 10**pair.qty_digits).astype(np.int64)
        volume = np.maximum(steps, 2 * n)
        share = 0.3 + 0.4 * unit(mix(key, _K_TAKER), minutes)
        buyers = np.clip(np.rint(n * share).astype(np.int64), 1, n - 1)
        taker_buy = np.clip(np.floor(volume * share).astype(np.int64), 2 * buyers, volume - 2 * (n - buyers))
        typical_price = (o + high + low + c) / 4 / 10**pair.price_digits
        lot = 10.0**-pair.qty_digits
        quote = volume * lot * typical_price
        taker_buy_quote = taker_buy * lot * typical_price
        candles = Candles(minutes, o, high, low, c, volume, taker_buy, n, quote, taker_buy_quote)
        if not raw:
            for m in _marked(recs):  # a minute a steer marks is what its trades say
                if first <= m < end:
                    _put(candles, m - first, self._trades(pair, m, recs), pair)
        return candles

    # --- trades ---

    def trades(self, pair: Pair, minute: int) -> list[Trade]:
        """Every trade of one minute, oldest first (the caller cuts at now)."""
        return self._trades(pair, minute, self._recs(pair))

    def _trades(self, pair: Pair, minute: int, recs: tuple[Steer, ...]) -> list[Trade]:
        ends = (minute + 1) * MINUTE_MS
        # Records only ever go in start order, so the last one starting before the minute ends
        # names the whole prefix that shapes it.
        key = (pair.symbol, minute, max((r.serial for r in recs if r.start_ms < ends), default=0))
        found = self._minutes.get(key)
        if found is not None:
            self._minutes.move_to_end(key)
            return found
        if minute in _marked(recs):
            out = self._steered_minute(pair, minute, recs)
        else:
            out = self._laid_out(pair, minute, self._candles(pair, minute, minute + 1, recs, raw=True))
        self._minutes[key] = out
        if len(self._minutes) > MINUTES_KEPT:
            self._minutes.popitem(last=False)
        return out

    def _laid_out(self, pair: Pair, minute: int, c: Candles) -> list[Trade]:
        """A minute's trades from its candle: the first at the open, the last at the close."""
        n = int(c.trades[0])
        key = salt(self.seed, "trades", pair.symbol)
        slots = np.arange(minute * ID_SLOTS, minute * ID_SLOTS + n, dtype=np.int64)
        offsets = np.sort(np.floor(unit(mix(key, _K_TIME), slots) * MINUTE_MS).astype(np.int64))
        o, h, lo, cl = int(c.open[0]), int(c.high[0]), int(c.low[0]), int(c.close[0])
        prices = lo + np.floor(unit(mix(key, _K_PRICE), slots) * (h - lo + 1)).astype(np.int64)
        order = np.argsort(unit(mix(key, _K_PLACE), slots[1:-1])) + 1  # the middle trades, shuffled
        prices[0], prices[-1], prices[order[0]], prices[order[1]] = o, cl, h, lo
        buyers = _buyers(n, int(c.volume[0]), int(c.taker_buy[0]))
        is_buyer = np.zeros(n, dtype=bool)
        is_buyer[np.argsort(unit(mix(key, _K_SIDE), slots))[:buyers]] = True
        qty = np.zeros(n, dtype=np.int64)
        weights = 0.2 + unit(mix(key, _K_QTY), slots)
        for side, total in ((is_buyer, int(c.taker_buy[0])), (~is_buyer, int(c.volume[0] - c.taker_buy[0]))):
            qty[side] = _split(total, weights[side])
        base = minute * MINUTE_MS
        return [
            Trade(int(slots[i]), base + int(offsets[i]), int(prices[i]), int(qty[i]), not bool(is_buyer[i]))
            for i in range(n)
        ]

    def _steered_minute(self, pair: Pair, minute: int, recs: tuple[Steer, ...]) -> list[Trade]:
        """A minute a steer marks. Where one starts in it: its trades until the start as they
        were, a trade at the steered price at the start, and the later ones moved to the new
        level so that the last is at the steer's close. Where a move's point falls in it: a
        trade at the point's price at its instant. Ids stay consecutive within the minute."""
        ends = (minute + 1) * MINUTE_MS
        live = sum(1 for r in recs if r.start_ms < ends)  # later records change nothing here
        r = recs[live - 1]
        key = (pair.symbol, minute, r.serial)
        if key in self._steered:
            return self._steered[key]
        if r.start_ms // MINUTE_MS == minute:
            base = self._trades(pair, minute, recs[: live - 1])
            seeded = np.array([self._seeded(pair, minute)])
            close = int(_steered_ticks(pair, r, np.array([ends], dtype=np.int64), seeded)[0])
            out = _restart(base, r.start_ms, r.print_ticks, close)
        else:
            out = self._laid_out(pair, minute, self._candles(pair, minute, minute + 1, recs[:live], raw=True))
        for at, price in r.points:
            if at // MINUTE_MS == minute:
                out = _printed(out, at, price)
        out = [t._replace(id=minute * ID_SLOTS + i) for i, t in enumerate(out)]
        self._steered[key] = out
        if len(self._steered) > STEERED_KEPT:
            self._steered.popitem(last=False)
        return out

    # --- steering ---

    def steer(self, pair: Pair, now_ms: int, plan: Plan | None) -> Steer:
        """Steer the pair from now on (None: back to its seeded path); records that start later
        than now (the clock was moved back) are dropped, being in what is now the future."""
        kept = tuple(r for r in self._recs(pair) if r.start_ms <= now_ms)
        minute = now_ms // MINUTE_MS
        scale = 10**pair.price_digits
        if plan is None:
            seeded = self._seeded(pair, minute)
            record = Steer(Steering.serial(), now_ms, max(round(seeded * scale), 1), (), 1.0, False)
        elif plan.price is not None:
            ticks = to_ticks(plan.price, pair.price_digits, pair.symbol)
            factor = ticks / scale / self._seeded(pair, minute)
            record = Steer(Steering.serial(), now_ms, ticks, (), factor, True)
        else:
            points = tuple(
                (now_ms + in_ms, to_ticks(p, pair.price_digits, pair.symbol, f"path[{i}].price"))
                for i, (in_ms, p) in enumerate(plan.path)
            )
            self.steering.set(pair.symbol, kept)  # the move starts from the price now, as kept
            now_price = self.price(pair, now_ms)
            last_at, last = points[-1]
            factor = last / scale / self._seeded(pair, last_at // MINUTE_MS)
            record = Steer(Steering.serial(), now_ms, now_price, points, factor, True)
        self.steering.set(pair.symbol, (*kept, record))
        return record

    def steered(self, pair: Pair, now_ms: int) -> Steer | None:
        """The steer in force at now_ms (None: the seeded path)."""
        live = [r for r in self._recs(pair) if r.start_ms <= now_ms]
        return live[-1] if live and live[-1].steered else None

    def trades_between(self, pair: Pair, start_ms: int, end_ms: int, limit: int | None = None) -> list[Trade]:
        """The trades with start_ms <= time <= end_ms, oldest first; the first `limit` of them."""
        out: list[Trade] = []
        start_ms = max(start_ms, self.listed_ms(pair))
        for minute in range(start_ms // MINUTE_MS, end_ms // MINUTE_MS + 1):
            out.extend(t for t in self.trades(pair, minute) if start_ms <= t.time_ms <= end_ms)
            if limit is not None and len(out) >= limit:
                return out[:limit]
        return out

    def last_trades(self, pair: Pair, now_ms: int, limit: int) -> list[Trade]:
        """The newest `limit` trades at `now_ms`, oldest first."""
        out: list[Trade] = []
        minute, first = now_ms // MINUTE_MS, self.listed_ms(pair) // MINUTE_MS
        while len(out) < limit and minute >= first:
            out[:0] = [t for t in self.trades(pair, minute) if t.time_ms <= now_ms]
            minute -= 1
        return out[-limit:]

    def trades_from_id(self, pair: Pair, first_id: int, now_ms: int, limit: int) -> list[Trade]:
        """`limit` trades with id >= first_id, up to now."""
        out: list[Trade] = []
        minute = max(first_id // ID_SLOTS, self.listed_ms(pair) // MINUTE_MS)
        while len(out) < limit and minute * MINUTE_MS <= now_ms:
            out.extend(t for t in self.trades(pair, minute) if t.id >= first_id and t.time_ms <= now_ms)
            minute += 1
        return out[:limit]

    def last_trade(self, pair: Pair, now_ms: int) -> Trade:
        """The newest trade at now_ms; before the pair's listing, its first trade (its price then)."""
        found = self.last_trades(pair, now_ms, 1)
        if found:
            return found[0]
        return self.trades(pair, self.listed_ms(pair) // MINUTE_MS)[0]

    def dollars(self, asset_name: str, now_ms: int) -> float:
        """An asset's price in USDT now: its USDT pair's last trade where one is listed (so a
        steered price shows in what an account is worth), else its seeded dollar path."""
        if asset_name == "USDT":
            return 1.0
        pair = self.pair(asset_name + "USDT")
        if pair is not None:
            return self.price(pair, now_ms) / 10**pair.price_digits
        return float(self.usd(asset_name, np.array([now_ms // MINUTE_MS - 1], dtype=np.int64))[0])

    def price(self, pair: Pair, now_ms: int) -> int:
        """The last trade's price at `now_ms`: what ticker/price answers."""
        return self.last_trade(pair, now_ms).price

    # --- windows ---

    def days(self, pair: Pair, starts: list[int]) -> list[Summary]:
        """Whole past days (each 24 hours from a start), summed; computed once, then remembered
        (under the last steer that shapes the day, so a new steer never meets an old sum)."""
        recs = self._recs(pair)
        day_ms = DAY_MINUTES * MINUTE_MS

        def key(d: int) -> tuple[str, int, int]:
            return (pair.symbol, d, max((r.serial for r in recs if r.start_ms < d + day_ms), default=0))

        missing = sorted(d for d in starts if key(d) not in self._days)
        for i in range(0, len(missing), DAYS_A_BATCH):  # a batch's minutes in memory at once
            batch = missing[i : i + DAYS_A_BATCH]
            first, last = batch[0] // MINUTE_MS, batch[-1] // MINUTE_MS + DAY_MINUTES
            c = self.candles(pair, first, last)
            for d in batch:
                lo = d // MINUTE_MS - first
                self._remember(key(d), reduce(c, lo, lo + DAY_MINUTES, d, d + day_ms - 1))
        out = []
        for d in starts:
            self._days.move_to_end(key(d))
            out.append(self._days[key(d)])
        return out

    def _remember(self, key: tuple[str, int, int], day: Summary) -> None:
        self._days[key] = day
        if len(self._days) > DAYS_KEPT:
            self._days.popitem(last=False)

    def summary(self, pair: Pair, start_ms: int, end_ms: int, now_ms: int) -> Summary:
        """The trades of start_ms .. end_ms (inclusive) that happened by now_ms, summed."""
        end_ms = min(end_ms, now_ms)
        first_whole = -(-start_ms // MINUTE_MS)
        end_whole = (end_ms + 1) // MINUTE_MS  # minutes wholly inside
        parts: list[Summary] = []
        if first_whole > end_whole:  # inside one minute
            return _of_trades(self.trades_between(pair, start_ms, end_ms), self, pair, start_ms)
        if start_ms < first_whole * MINUTE_MS:
            parts.append(
                _of_trades(
                    self.trades_between(pair, start_ms, first_whole * MINUTE_MS - 1), self, pair, start_ms
                )
            )
        if end_whole > first_whole:
            parts.append(_of_candles(self.candles(pair, first_whole, end_whole), pair))
        if end_whole * MINUTE_MS <= end_ms:
            parts.append(
                _of_trades(self.trades_between(pair, end_whole * MINUTE_MS, end_ms), self, pair, start_ms)
            )
        joined = join([p for p in parts if p.trades] or parts[:1])
        if joined.trades and not joined.last_qty:  # it ended in whole minutes: their last trade's
            joined = replace(joined, last_qty=self.last_trade(pair, joined.last_ms).qty)
        return joined


_K_UP, _K_DOWN, _K_COUNT, _K_VOLUME, _K_BURST, _K_TAKER = (np.array([i], dtype=np.int64) for i in range(6))
_K_TIME, _K_PRICE, _K_PLACE, _K_SIDE, _K_QTY = (np.array([i], dtype=np.int64) for i in range(10, 15))


def _buyers(n: int, volume: int, taker_buy: int) -> int:
    """How many of a minute's trades were the buyer's taker orders (as Market.candles decided)."""
    share = taker_buy / volume
    return min(max(round(n * share), 1), n - 1)


def _split(total: int, weights: Floats) -> Ints:
    """`total` steps over the trades, each at least one, in proportion to `weights`, exactly."""
    if weights.size == 0:
        return np.zeros(0, dtype=np.int64)
    spare = total - weights.size
    parts = 1 + np.floor(spare * weights / weights.sum()).astype(np.int64)
    parts[-1] += total - int(parts.sum())
    return parts


def _of_candles(c: Candles, pair: Pair) -> Summary:
    first_id = int(c.minute[0]) * ID_SLOTS
    last_id = int(c.minute[-1]) * ID_SLOTS + int(c.trades[-1]) - 1
    return Summary(
        int(c.open[0]), int(c.high.max()), int(c.low.min()), int(c.close[-1]), int(c.volume.sum()),
        float(c.quote.sum()), int(c.trades.sum()), int(c.taker_buy.sum()), float(c.taker_buy_quote.sum()),
        first_id, last_id, int(c.minute[0]) * MINUTE_MS, int(c.minute[-1]) * MINUTE_MS + MINUTE_MS - 1, 0,
    )  # fmt: skip


def _of_trades(trades: list[Trade], market: Market | None, pair: Pair, start_ms: int) -> Summary:
    if not trades:  # no trade yet: the price stands where the last trade left it
        assert market is not None
        last = market.last_trade(pair, start_ms - 1)
        return Summary(
            last.price, last.price, last.price, last.price, 0, 0.0, 0, 0, 0.0, -1, -1, start_ms, start_ms, 0
        )
    tick, lot = 10.0**-pair.price_digits, 10.0**-pair.qty_digits
    quote = sum(t.price * t.qty for t in trades) * tick * lot
    buys = [t for t in trades if not t.buyer_maker]
    return Summary(
        trades[0].price, max(t.price for t in trades), min(t.price for t in trades), trades[-1].price,
        sum(t.qty for t in trades), quote, len(trades), sum(t.qty for t in buys),
        sum(t.price * t.qty for t in buys) * tick * lot, trades[0].id, trades[-1].id, trades[0].time_ms,
        trades[-1].time_ms, trades[-1].qty,
    )  # fmt: skip


def reduce(c: Candles, lo: int, hi: int, opened: int, closed: int) -> Summary:
    """Minutes lo .. hi-1 of `c` as one summary from `opened` to `closed`."""
    sl = slice(lo, hi)
    return Summary(
        int(c.open[lo]), int(np.max(c.high[sl])), int(np.min(c.low[sl])), int(c.close[hi - 1]),
        int(np.sum(c.volume[sl])), float(np.sum(c.quote[sl])), int(np.sum(c.trades[sl])),
        int(np.sum(c.taker_buy[sl])), float(np.sum(c.taker_buy_quote[sl])), int(c.minute[lo]) * ID_SLOTS,
        int(c.minute[hi - 1]) * ID_SLOTS + int(c.trades[hi - 1]) - 1, opened, closed, 0,
    )  # fmt: skip


def _ticks(pair: Pair, price: Floats) -> Ints:
    return np.maximum(np.rint(price * 10**pair.price_digits), 1).astype(np.int64)


def _steered_ticks(pair: Pair, r: Steer, ends: Ints, seeded: Floats) -> Ints:
    """Record r's closes at minute ends: on its points' line while they last, then the seeded
    price times its factor."""
    after = _ticks(pair, seeded * r.factor)
    if not r.points:
        return after
    xs = [r.start_ms, *(at for at, _ in r.points)]
    ys = [r.print_ticks, *(p for _, p in r.points)]
    line = np.maximum(np.rint(np.interp(ends, xs, ys)), 1).astype(np.int64)
    return np.where(ends <= xs[-1], line, after)


def _marked(recs: tuple[Steer, ...]) -> set[int]:
    """The minutes a steer starts in, or a move's point falls in while its steer is in force."""
    out: set[int] = set()
    for k, r in enumerate(recs):
        until = recs[k + 1].start_ms if k + 1 < len(recs) else None
        out.add(r.start_ms // MINUTE_MS)
        out.update(at // MINUTE_MS for at, _ in r.points if until is None or at < until)
    return out


def _restart(base: list[Trade], at: int, price: int, close: int) -> list[Trade]:
    """`base` with a trade at `price` at instant `at`, the trades after it moved so that the
    last is at `close`."""
    kept = [t for t in base if t.time_ms <= at]
    later = [t for t in base if t.time_ms > at]
    if later:
        scale = close / later[-1].price
        later = [t._replace(price=max(round(t.price * scale), 1)) for t in later[:-1]] + [
            later[-1]._replace(price=close)
        ]
    return _printed([*kept, *later], at, price)


def _printed(trades: list[Trade], at: int, price: int) -> list[Trade]:
    """A trade at `price` at instant `at` among the minute's (its quantity the minute's mean; the
    buyer took if the price rose). A full minute gives up a trade after it, never its last."""
    i = sum(1 for t in trades if t.time_ms <= at)
    before = trades[i - 1].price if i else trades[0].price
    qty = max(sum(t.qty for t in trades) // len(trades), 1)
    out = [*trades[:i], Trade(-1, at, price, qty, price < before), *trades[i:]]
    while len(out) > ID_SLOTS and len(out) - i > 2:
        del out[i + 1]
    return out if len(out) <= ID_SLOTS else trades


def _put(c: Candles, i: int, trades: list[Trade], pair: Pair) -> None:
    """Entry i of `c` made from a minute's trades."""
    s = _of_trades(trades, None, pair, 0)
    for name, value in (("open", s.open), ("high", s.high), ("low", s.low), ("close", s.close),
                        ("volume", s.volume), ("taker_buy", s.taker_buy), ("trades", s.trades),
                        ("quote", s.quote), ("taker_buy_quote", s.taker_buy_quote)):  # fmt: skip
        getattr(c, name)[i] = value


def join(parts: list[Summary]) -> Summary:
    """Consecutive summaries as one."""
    if len(parts) == 1:
        return parts[0]
    first, last = parts[0], parts[-1]
    return Summary(
        first.open, max(p.high for p in parts), min(p.low for p in parts), last.close,
        sum(p.volume for p in parts), sum(p.quote for p in parts), sum(p.trades for p in parts),
        sum(p.taker_buy for p in parts), sum(p.taker_buy_quote for p in parts), first.first_id, last.last_id,
        first.first_ms, last.last_ms, last.last_qty,
    )  # fmt: skip
