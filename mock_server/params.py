"""Binance's parameter rules: reading a raw query string, and the LONG type.

Nothing here trusts the input: every failure is a BinanceError, never an exception
of Python's own, because any byte sequence can arrive in a query string.
"""

from __future__ import annotations

import re
from typing import NamedTuple
from urllib.parse import unquote_to_bytes

from mock_server import errors
from mock_server.errors import BinanceError
from mock_server.fidelity import LONG_LEGAL_RANGE

_LONG = re.compile(r"[0-9]{1,20}")
_INT64_MAX = 2**63 - 1


class Param(NamedTuple):  # immutable, and cheaper to build than a frozen dataclass
    name: str
    value: str
    raw: bytes  # the `name=value` piece exactly as sent, for the signature payload


class Params:
    """The parameters in the order sent, with the first value of each name at hand."""

    __slots__ = ("duplicates", "first", "items")

    def __init__(self, items: tuple[Param, ...]) -> None:
        self.items = items
        self.first: dict[str, str] = {}
        self.duplicates: list[str] = []  # names sent more than once, in order of repetition
        for p in items:
            if p.name in self.first:
                self.duplicates.append(p.name)
            else:
                self.first[p.name] = p.value

    def get(self, name: str) -> str | None:
        """The first value of `name`, or None when absent."""
        return self.first.get(name)

    def names(self) -> list[str]:
        return [p.name for p in self.items]

    def first_duplicate(self) -> str | None:
        return self.duplicates[0] if self.duplicates else None


def _decode(component: bytes) -> str:
    try:
        if b"%" not in component and b"+" not in component:
            return component.decode("utf-8")  # the common case, and the fast one
        return unquote_to_bytes(component.replace(b"+", b" ")).decode("utf-8")
    except UnicodeDecodeError:
        raise BinanceError(errors.ILLEGAL_CHARS) from None


def parse_query(raw: bytes) -> Params:
    """Split a raw query string into parameters, keeping each piece's original bytes.

    Malformed percent-escapes are kept literally (as most servers do); bytes that do
    not decode as UTF-8 are Binance's -1100.
    """
    items: list[Param] = []
    for piece in raw.split(b"&"):
        if not piece:
            continue
        name, _, value = piece.partition(b"=")
        items.append(Param(_decode(name), _decode(value), piece))
    return Params(tuple(items))


def signed_payload(raw_query: bytes, body: bytes) -> bytes:
    """F14: the raw query plus body, byte for byte, with every `signature=` pair removed."""
    return _strip_signature(raw_query) + _strip_signature(body)


def _strip_signature(raw: bytes) -> bytes:
    if b"signature" not in raw:
        return raw
    kept = [p for p in raw.split(b"&") if p.partition(b"=")[0] != b"signature"]
    return b"&".join(kept)


def signature_is_last(raw_query: bytes, body: bytes) -> bool:
    """True when the last pair sent (body after query) is the signature."""
    pieces = [p for p in (raw_query + b"&" + body).split(b"&") if p]
    return bool(pieces) and pieces[-1].partition(b"=")[0] == b"signature"


def parse_long(name: str, value: str) -> int:
    """F10: a LONG is 1 to 20 ASCII digits that fit in int64; anything else is -1100."""
    if _LONG.fullmatch(value) is None or int(value) > _INT64_MAX:
        raise BinanceError(errors.ILLEGAL_CHARS_PARAM, name, LONG_LEGAL_RANGE)
    return int(value)
