"""Which instants of the market fall in a span of mock time (t0, t1]: the ticks of a periodic
stream, the trades after the last one sent, the instants the book changes.

The market is a function of time (mock_server/market/model.py), so a stream's events are the
instants its page defines, read off that function as the mock's clock passes them: whatever the
clock does (real, shifted, frozen, moved on by a test), an event of instant T shows the market at T.
"""

from __future__ import annotations

from mock_server.market.model import Market, Trade
from mock_server.market.symbols import Pair


def ticks(t0: int, t1: int, period_ms: int) -> list[int]:
    """The multiples of `period_ms` in (t0, t1], oldest first."""
    first = t0 // period_ms * period_ms + period_ms
    return list(range(first, t1 + 1, period_ms))


def last_tick(t1: int, period_ms: int) -> int:
    """The newest multiple of `period_ms` at or before t1."""
    return t1 // period_ms * period_ms


def trades_after(m: Market, p: Pair, after: tuple[int, int], t1: int, most: int) -> list[Trade]:
    """The trades after `after` (time, id), up to t1, oldest first; the newest `most` of them.
    A trade printed at an instant already passed (a steer under a frozen clock) has a larger id
    than those before it at that instant, so it is found too."""
    t0, last_id = after
    if t1 < t0:
        return []
    found = [t for t in m.trades_between(p, t0, t1) if (t.time_ms, t.id) > (t0, last_id)]
    return found[-most:]


def newest(m: Market, p: Pair, t1: int) -> tuple[int, int]:
    """(time, id) of the last trade at or before t1: where a new trade feed starts."""
    found = m.last_trades(p, t1, 1)
    return (found[0].time_ms, found[0].id) if found else (t1, -1)


def book_changes(m: Market, p: Pair, t0: int, t1: int) -> list[int]:
    """The instants in (t0, t1] at which the book may change: every whole second (its
    quantities are hashed by the second) and every trade (its touch is the last price)."""
    out = set(ticks(t0, t1, 1_000))
    if t1 > t0:
        out.update(t.time_ms for t in m.trades_between(p, t0 + 1, t1))
    return sorted(out)
