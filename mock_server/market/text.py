"""Numbers as Binance writes them: decimals as strings with eight places."""

from __future__ import annotations


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
