"""The exact bytes of the depth streams and of GET /api/v3/depth, pinned: a diff depth event is
built by a fast path (integers to text, the book of an instant cached), and not one byte of any
frame or REST body may differ from what the plain implementation sent.

The golden hashes below were made by `_scenario` itself on the code before the fast path (commit
0621516, mock_server/streams/feeds.py's DiffDepth building dicts of levels and events.py's
`decimal` per level, hub.py's json.dumps): run
`PYTHONPATH=. python -c "import sys; sys.path.insert(0, 'tests'); from test_depth_bytes import _digest; print(_digest(7, 'BTCUSDT'))"`
on that commit to see them again. A change to the market's model itself (the seeded path, the
book's shape) changes them legitimately; then recompute them from the commit before the change.
"""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Callable
from dataclasses import replace

import numpy as np
import pytest
from helpers import NOW, market_exchange, market_get

from mock_server.exchange import Exchange
from mock_server.market.text import decimal
from mock_server.streams.events import depth_update_text, in_microseconds
from mock_server.streams.names import parse

LIMITS = (1, 5, 100, 1000, 5000)


class _Frames:
    def __init__(self, combined: bool, micro: bool) -> None:
        self.combined = combined
        self.micro = micro
        self.due_ms = 0
        self.frames: list[str] = []

    def deliver(self, frame: str) -> None:
        self.frames.append(frame)

    def tick(self, now_ms: int) -> None:
        pass


def _digest(seed: int, symbol: str) -> str:
    """Every frame of the three depth streams in each form, and REST depth bodies, along a run:
    the clock stepping on, a steer under a frozen clock, a steered path, a release, a clock moved
    far on (a jump), a clock moved back."""
    ex = market_exchange(seed=seed)
    s = symbol.lower()
    names = (f"{s}@depth", f"{s}@depth@100ms", f"{s}@depth20@100ms")
    subs = [_Frames(c, m) for c, m in ((False, False), (True, False), (False, True), (True, True))]
    for sub in subs:
        for name in names:
            ex.streams.subscribe(sub, name, parse(name))
    h = hashlib.sha256()

    def rest() -> None:
        for limit in LIMITS:
            h.update(market_get(ex, "/api/v3/depth", symbol=symbol, limit=limit).body)

    def run(ms: int, step: int) -> None:
        for _ in range(ms // step):
            ex.advance_clock(step)
            ex.streams.tick()

    _steps(ex, symbol, rest, run)
    for sub in subs:
        for frame in sub.frames:
            h.update(frame.encode())
        h.update(str(len(sub.frames)).encode())
    return h.hexdigest()


def _steps(ex: Exchange, symbol: str, rest: Callable[[], None], run: Callable[[int, int], None]) -> None:
    rest()
    run(1_300, 111)
    ex.advance_clock(57)
    rest()
    ex.set_price(symbol, "1.5" if symbol.endswith("BTC") else "61000.5")  # a steer, the clock frozen
    ex.streams.tick()
    rest()
    run(1_000, 250)
    ex.steer(symbol, {"path": [{"in_ms": 1_500, "price": "0.02" if symbol.endswith("BTC") else "59000"}]})
    run(2_000, 100)
    rest()
    ex.release_price(symbol)
    run(700, 350)
    ex.advance_clock(3_600_000)  # far on: the newest tick only
    ex.streams.tick()
    rest()
    run(1_200, 400)
    ex.set_clock({"now_ms": NOW + 2_000})  # back: the feeds restart
    ex.streams.tick()
    run(1_000, 200)
    rest()


GOLDEN = {
    (7, "BTCUSDT"): "9a99e55d65f6c8f9a1c49b4c411ed89e56311f7c9391ad4ca7b1d2a408c98de0",
    (11, "BTCUSDT"): "f87bb787389e16fd03afb2836ab850e9c051efab4bc482965ec601e38bf6a2cc",
    (7, "BNBBTC"): "ccc82fc66ed06392f4282ee3f93d4ef74ff5ab9633595293a75fef46927ae91f",
    (3, "DOGEUSDT"): "3ffee48f2bb5726f1c20f38ffa8ef61f114261e643f49e0195a8a6cfd9e43315",
}


@pytest.mark.parametrize(("seed", "symbol"), list(GOLDEN))
def test_depth_bytes_are_unchanged(seed: int, symbol: str) -> None:
    assert _digest(seed, symbol) == GOLDEN[seed, symbol]


def _reference(p, at_ms, first, last, bids, asks):  # type: ignore[no-untyped-def]
    """The event as a dict, as events.depth_update built it at 0621516 (the hub json.dumps-ed it)."""
    pd, qd = p.price_digits, p.qty_digits
    return {"e": "depthUpdate", "E": at_ms, "s": p.symbol, "U": first, "u": last,
            "b": [[decimal(x, pd), decimal(q, qd)] for x, q in bids],
            "a": [[decimal(x, pd), decimal(q, qd)] for x, q in asks]}  # fmt: skip


@pytest.mark.parametrize("digits", [(2, 5), (0, 0), (8, 8), (5, 0), (10, 3), (3, 12)])
def test_a_depth_event_as_text_is_json_dumps_of_the_event(digits: tuple[int, int]) -> None:
    pair = replace(
        market_exchange().world.market.pair("BTCUSDT"), price_digits=digits[0], qty_digits=digits[1]
    )
    rng = random.Random(sum(digits))
    for n in (0, 1, 2, 37):
        sides = []
        for _ in range(2):
            prices = np.array(sorted(rng.sample(range(1, 10**13), n)), dtype=np.int64)
            qtys = np.array([rng.choice([0, 1, 9, 10**digits[1], rng.randrange(10**11)]) for _ in range(n)], dtype=np.int64)  # fmt: skip
            sides.append((prices, qtys))
        made = depth_update_text(pair, NOW, 5, 9, sides[0], sides[1])
        event = _reference(
            pair, NOW, 5, 9, *(list(zip(p.tolist(), q.tolist(), strict=True)) for p, q in sides)
        )
        assert made.text(False) == json.dumps(event, separators=(",", ":"))
        assert made.text(True) == json.dumps(in_microseconds(event), separators=(",", ":"))
