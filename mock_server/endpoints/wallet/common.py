"""What the wallet endpoints read alike: a history's time window and page, and an amount."""

from __future__ import annotations

from decimal import Decimal
from typing import NamedTuple, TypeVar

from mock_server.endpoints.declaration import Context, Values
from mock_server.rules import errors
from mock_server.rules.errors import BinanceError
from mock_server.rules.fidelity import DEFAULT_WINDOW_MS
from mock_server.rules.params import Long
from mock_server.state.wallets import EIGHT

Row = TypeVar("Row")

# startTime, endTime and the page of a wallet history, as Binance documents them for each.
WINDOW_PARAMS = (Long("startTime"), Long("endTime"), Long("current", default=1, minimum=1),
                 Long("size", default=10, minimum=1, maximum=100))  # fmt: skip


class Window(NamedTuple):
    start: int
    end: int  # inclusive
    current: int
    size: int


def window(values: Values, ctx: Context) -> Window:
    """The last seven days by default; a startTime alone covers seven days from it; a startTime
    after the endTime is -3011 (F54)."""
    start, end = values["startTime"], values["endTime"]
    if end is None:
        end = ctx.now_ms if start is None else min(start + DEFAULT_WINDOW_MS, ctx.now_ms)
    if start is None:
        start = end - DEFAULT_WINDOW_MS
    if start > end:
        raise BinanceError(errors.BAD_DATE_RANGE)
    return Window(start, end, values["current"], values["size"])


def page(rows: list[Row], w: Window) -> list[Row]:
    first = (w.current - 1) * w.size
    return rows[first : first + w.size]


def positive_amount(text: str, name: str = "amount") -> Decimal:
    """A Decimal parameter's value above 0 with at most eight decimals; -1130 otherwise."""
    value = Decimal(text)
    if value <= 0 or value != value.quantize(EIGHT):
        raise BinanceError(errors.INVALID_PARAMETER, name)
    return value
