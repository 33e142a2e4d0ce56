"""Binance's parameter rules: reading a raw query string, and the declared parameters.

An endpoint declares its parameters with `Long`, `Text` and `Choice`, in the order of its
page's table; `read_params` checks them in that order, so the first bad one answers. Nothing
here trusts the input: every failure is a BinanceError, never an exception of Python's own,
because any byte sequence can arrive in a query string.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, NamedTuple
from urllib.parse import unquote_to_bytes

from mock_server.rules import errors
from mock_server.rules.errors import BinanceError
from mock_server.rules.fidelity import LONG_LEGAL_RANGE, Profile, Switch

_LONG = re.compile(r"[0-9]{1,20}")
_DECIMAL = re.compile(r"[0-9]{1,20}(\.[0-9]{1,20})?")
# §3 of docs/fidelity.md: the range Binance names for a malformed decimal.
DECIMAL_LEGAL_RANGE = "^([0-9]{1,20})(\\.[0-9]{1,20})?$"
_INT64_MAX = 2**63 - 1


class Param(NamedTuple):  # immutable, and cheaper to build than a frozen dataclass
    name: str
    value: str


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

    def first_duplicate(self) -> str | None:
        return self.duplicates[0] if self.duplicates else None


def _decode(component: bytes) -> str:
    return unquote_to_bytes(component.replace(b"+", b" ")).decode("utf-8")


# A NamedTuple's constructor is a Python function; tuple.__new__ builds the same object in C.
_new_param = tuple.__new__


def parse_query(raw: bytes) -> Params:
    """Split a raw query string into parameters.

    Malformed percent-escapes are kept literally (as most servers do); bytes that do
    not decode as UTF-8 are Binance's -1100.
    """
    items: list[Param] = []
    try:
        if b"%" in raw or b"+" in raw:
            for piece in raw.split(b"&"):
                if piece:
                    name, _, value = piece.partition(b"=")
                    items.append(_new_param(Param, (_decode(name), _decode(value))))
        else:  # the common case, and the fast one: nothing to unquote, so decode once
            for text in raw.decode("utf-8").split("&"):
                if text:
                    name, _, value = text.partition("=")
                    items.append(_new_param(Param, (name, value)))
    except UnicodeDecodeError:
        raise BinanceError(errors.ILLEGAL_CHARS) from None
    return Params(tuple(items))


def request_params(method: str, query: bytes, body: bytes) -> Params:
    """A request's parameters (docs/fidelity.md §1.5): a GET's are in its query string alone; any
    other method may also send them in an x-www-form-urlencoded body, and a name sent in both
    takes the query string's value."""
    params = parse_query(query)
    if not body or method in ("GET", "HEAD"):
        return params
    extra = tuple(p for p in parse_query(body).items if p.name not in params.first)
    return Params(params.items + extra) if extra else params


def parse_long(name: str, value: str) -> int:
    """F10: a LONG is 1 to 20 ASCII digits that fit in int64; anything else is -1100."""
    if _LONG.fullmatch(value) is None or int(value) > _INT64_MAX:
        raise BinanceError(errors.ILLEGAL_CHARS_PARAM, name, LONG_LEGAL_RANGE)
    return int(value)


# --- declared parameters ---
# `below`, `above` and `invalid` are the Profile decision's alternative under which Binance does
# something else with such a value where its documentation is silent (docs/fidelity.md); None:
# the error, always.


@dataclass(frozen=True, slots=True)
class Long:
    """An integer (Binance's LONG): 1 to 20 ASCII digits that fit in int64 (F10)."""

    name: str
    required: bool = False
    default: int | None = None
    minimum: int | None = None
    maximum: int | None = None
    below: Switch | None = None  # when on, a value under `minimum` reads as `default`
    above: Switch | None = None  # when on, a value over `maximum` reads as `maximum`
    description: str = ""

    def read(self, text: str, profile: Profile) -> Any:
        value = parse_long(self.name, text)
        if self.minimum is not None and value < self.minimum:
            if self.below is not None and self.below.on(profile):
                return self.default
            raise BinanceError(errors.INVALID_PARAMETER, self.name)  # F4
        if self.maximum is not None and value > self.maximum:
            if self.above is not None and self.above.on(profile):
                return self.maximum
            raise BinanceError(errors.INVALID_PARAMETER, self.name)  # F3
        return value

    def schema(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": "integer", "format": "int64", "minimum": 0}
        if self.minimum is not None:
            out["minimum"] = self.minimum
        if self.maximum is not None:
            out["maximum"] = self.maximum
        if self.default is not None:
            out["default"] = self.default
        return out


@dataclass(frozen=True, slots=True)
class Text:
    """A string, taken as sent."""

    name: str
    required: bool = False
    default: str | None = None
    description: str = ""

    def read(self, text: str, profile: Profile) -> Any:
        return text

    def schema(self) -> dict[str, Any]:
        return {"type": "string"}


@dataclass(frozen=True, slots=True)
class Choice:
    """One of a fixed set of values (an ENUM on Binance's pages)."""

    name: str
    values: tuple[str, ...]
    required: bool = False
    default: str | None = None
    invalid: Switch | None = None  # when on, a value outside `values` is -1100, not -1130
    description: str = ""

    def read(self, text: str, profile: Profile) -> Any:
        if text in self.values:
            return text
        if self.invalid is not None and self.invalid.on(profile):
            raise BinanceError(errors.ILLEGAL_CHARS_PARAM, self.name, f"^({'|'.join(self.values)})$")
        raise BinanceError(errors.INVALID_PARAMETER, self.name)  # F9

    def schema(self) -> dict[str, Any]:
        return {"type": "string", "enum": list(self.values)}


@dataclass(frozen=True, slots=True)
class Decimal:
    """A decimal number as Binance reads prices and quantities: digits, an optional fraction."""

    name: str
    required: bool = False
    default: str | None = None
    description: str = ""

    def read(self, text: str, profile: Profile) -> Any:
        if _DECIMAL.fullmatch(text) is None:
            raise BinanceError(errors.ILLEGAL_CHARS_PARAM, self.name, DECIMAL_LEGAL_RANGE)
        return text

    def schema(self) -> dict[str, Any]:
        return {"type": "number", "minimum": 0}


ParamRule = Long | Text | Choice | Decimal


def read_params(
    params: Params, rules: tuple[ParamRule, ...], known: frozenset[str], profile: Profile
) -> dict[str, Any]:
    """The declared parameters' values (their default when absent), checked in declared order.

    `known` is every name the endpoint reads, its security parameters included (F12).
    """
    if params.first_duplicate() is not None:
        raise BinanceError(errors.DUPLICATE_PARAM)  # F11
    # Without duplicates (refused above) every name sent is a key of `first`.
    if profile.unknown_param == "error" and not known.issuperset(params.first):
        read = sum(1 for p in params.items if p.name in known)
        if read != len(params.items):
            raise BinanceError(errors.UNREAD_PARAMETERS, read, len(params.items))  # F12
    values: dict[str, Any] = {}
    first = params.first
    for rule in rules:
        text = first.get(rule.name)
        if not text:  # F29: an empty value counts as not sent
            if rule.required:
                raise BinanceError(errors.MANDATORY_PARAM, rule.name)
            values[rule.name] = rule.default
        else:
            values[rule.name] = rule.read(text, profile)
    return values
