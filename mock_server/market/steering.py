"""Steering: a test sets a symbol's price now, or moves it through points over time.

A steer is a record that starts at an instant (the mock's now when it was made). From the minute
holding that instant on, the symbol's closes follow the record instead of what came before: a
move is linear in time through its points, and after the last point (at once, for a set price)
the seeded moves go on from there (the seeded price times a fixed factor). The instant itself
gets a trade at the steered price (the "print"), so the price is there at once; the minute's
earlier trades are kept, its later ones follow the new level. Nothing before the instant changes,
so closed klines and past trades stay as an app saw them. Records are kept per symbol, oldest
first; releasing a symbol is one more record (back to the seeded path, factor 1).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

MAX_PRICE = Decimal(1_000_000)  # exchangeInfo's PRICE_FILTER maxPrice
MAX_IN_MS = 366 * 86_400_000
MAX_POINTS = 1_000


@dataclass(frozen=True, slots=True)
class Steer:
    serial: int  # unique for the life of the process: caches are keyed by it
    start_ms: int
    print_ticks: int  # the trade at start_ms
    points: tuple[tuple[int, int], ...]  # (instant, price in ticks) after start_ms, in time order
    factor: float  # after the last point: the seeded price times this
    steered: bool  # False: a release, back to the seeded path


@dataclass(frozen=True, slots=True)
class Plan:
    """What a control call, a scenario or MockBinance asks: a price now, or points ahead."""

    price: Decimal | None = None
    path: tuple[tuple[int, Decimal], ...] = ()  # (in_ms from now, price)


class Steering:
    """Every symbol's records. Changed only under the world's lock; a reset puts them back."""

    _serials = itertools.count(1)  # never reused, not even after a restore

    def __init__(self) -> None:
        self._records: dict[str, tuple[Steer, ...]] = {}

    def of(self, symbol: str) -> tuple[Steer, ...]:
        return self._records.get(symbol, ())

    def set(self, symbol: str, records: tuple[Steer, ...]) -> None:
        self._records[symbol] = records

    @classmethod
    def serial(cls) -> int:
        return next(cls._serials)

    def snapshot(self) -> dict[str, tuple[Steer, ...]]:
        return dict(self._records)

    def restore(self, snapshot: dict[str, tuple[Steer, ...]]) -> None:
        self._records = dict(snapshot)


def parse_plan(data: Any) -> Plan:
    """`{"price": "61000.5"}` or `{"path": [{"in_ms": 300000, "price": "55000"}, ...]}`; a
    ValueError names what is wrong."""
    if not isinstance(data, dict) or len(data) != 1 or not ({"price", "path"} & set(data)):
        got = sorted(data) if isinstance(data, dict) else type(data).__name__
        raise ValueError(
            'steering takes {"price": "61000.5"} or {"path": [{"in_ms": 300000, "price": "55000"}, ...]}; '
            f"got {got}"
        )
    if "price" in data:
        return Plan(price=parse_price(data["price"], "price"))
    points = data["path"]
    if not isinstance(points, list) or not 1 <= len(points) <= MAX_POINTS:
        raise ValueError(f"path must be a list of 1 to {MAX_POINTS} points; got {points!r}")
    path: list[tuple[int, Decimal]] = []
    for i, point in enumerate(points):
        where = f"path[{i}]"
        if not isinstance(point, dict) or set(point) != {"in_ms", "price"}:
            raise ValueError(f'{where} must be {{"in_ms": N, "price": "P"}}; got {point!r}')
        in_ms = point["in_ms"]
        if isinstance(in_ms, bool) or not isinstance(in_ms, int) or not 0 < in_ms <= MAX_IN_MS:
            raise ValueError(
                f"{where}.in_ms must be milliseconds from now, an integer from 1 to {MAX_IN_MS}; got {in_ms!r}"
            )
        if path and in_ms <= path[-1][0]:
            raise ValueError(
                f"{where}.in_ms must be later than the point before it ({path[-1][0]}); got {in_ms}"
            )
        path.append((in_ms, parse_price(point["price"], f"{where}.price")))
    return Plan(path=tuple(path))


def parse_price(value: Any, where: str) -> Decimal:
    """A price as a decimal string or a number, above 0 and at most exchangeInfo's maxPrice."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ValueError(f'{where} must be a decimal string such as "61000.5"; got {value!r}')
    try:
        price = Decimal(str(value))
    except InvalidOperation:
        raise ValueError(f'{where} must be a decimal string such as "61000.5"; got {value!r}') from None
    if not price.is_finite() or not 0 < price <= MAX_PRICE:
        raise ValueError(
            f"{where} must be above 0 and at most {MAX_PRICE} (exchangeInfo's maxPrice); got {value!r}"
        )
    return price


def to_ticks(price: Decimal, digits: int, symbol: str, where: str = "price") -> int:
    """A price in the symbol's ticks; one finer than its tick size is refused, never rounded."""
    ticks = price.scaleb(digits)
    if ticks != ticks.to_integral_value():
        tick = Decimal(1).scaleb(-digits)
        raise ValueError(f"{where} {price} is finer than {symbol}'s tick size {tick}: use a multiple of it")
    return int(ticks)
