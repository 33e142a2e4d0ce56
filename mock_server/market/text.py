"""Numbers as Binance writes them: decimals as strings with eight places."""

from __future__ import annotations

import json
from typing import Any

import numpy as np


def decimal(units: int, digits: int) -> str:
    """`units` * 10**-digits with eight decimals (Binance's "95051.61000000"): exact up to eight
    digits, rounded half to even beyond (a price times a quantity may have more)."""
    if digits > 8:
        scale = 10 ** (digits - 8)
        whole, rest = divmod(units, scale)
        units = whole + (1 if rest * 2 > scale or (rest * 2 == scale and whole % 2) else 0)
        digits = 8
    sign = "-" if units < 0 else ""
    text = str(abs(units)).rjust(digits + 1, "0")
    whole, frac = (text[:-digits], text[-digits:]) if digits else (text, "")
    return f"{sign}{whole}.{(frac + '0' * 8)[:8]}"


def decimal_float(value: float) -> str:
    """A computed amount (a quote volume, an average) with eight decimals."""
    return f"{value:.8f}"


def _pattern(digits: int) -> str:
    """A %-format of `decimal(units, digits)` from units' whole part and rest (digits 1 to 8),
    or from units (digits 0)."""
    if digits == 0:
        return "%d.00000000"
    return f"%d.%0{digits}d{'0' * (8 - digits)}"


def levels_json(prices: Any, qtys: Any, price_digits: int, qty_digits: int) -> str:
    """`json.dumps([[decimal(p, pd), decimal(q, qd)], ...], separators=(",", ":"))` of integer
    arrays, byte for byte, in one format call instead of two `decimal` calls a level (a diff
    depth event has thousands). Digits over 8 (rounding) or a negative number: the plain way."""
    n = len(prices)
    if not n:
        return "[]"
    if price_digits > 8 or qty_digits > 8 or int(prices.min()) < 0 or int(qtys.min()) < 0:
        return json.dumps(
            [
                [decimal(p, price_digits), decimal(q, qty_digits)]
                for p, q in zip(prices.tolist(), qtys.tolist(), strict=True)
            ],
            separators=(",", ":"),
        )
    columns = []
    for values, digits in ((prices, price_digits), (qtys, qty_digits)):
        if digits:
            columns.extend(np.divmod(values, 10**digits))
        else:
            columns.append(values)
    level = f'["{_pattern(price_digits)}","{_pattern(qty_digits)}"],'
    flat = np.stack(columns, axis=1).ravel().tolist()
    return "[" + (level * n)[:-1] % tuple(flat) + "]"
