"""What an endpoint is: one declaration that the pipeline runs and the OpenAPI document shows.

An endpoint module holds one `Endpoint(...)` with its method and path, security type, weight,
permission, parameters and up to three functions: `rules` (the endpoint's own checks after the
parameters, e.g. a time window; returns the request the answer needs), `write` (optional: what
the call changes, through the world's `Operations`, once every check has passed; a recorded
answer runs none) and `answer` (the 200 body, read from the world). Everything else (keys,
signatures, weights, faults, pacing, journal) the pipeline does the same way for every
endpoint. docs/adding-an-endpoint.md walks through one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Literal, NamedTuple

from mock_server.market.model import Market
from mock_server.rules.fidelity import Profile
from mock_server.rules.params import ParamRule
from mock_server.rules.security import SECURITY_PARAMS
from mock_server.state.accounts import Account
from mock_server.state.ledger import Ledger
from mock_server.state.loans import LoanBook
from mock_server.state.operations import Operations
from mock_server.state.orders import OrderBook
from mock_server.state.universal import UniversalBook
from mock_server.state.wallets import Wallets
from mock_server.state.weights import Weights

SAPI_JSON = "application/json"  # F19
API_JSON = "application/json;charset=UTF-8"  # F19


class Security(StrEnum):
    """Binance's security types, by what the mock checks (USER_STREAM and MARKET_DATA are API_KEY)."""

    NONE = "NONE"  # no key needed
    API_KEY = "API_KEY"  # X-MBX-APIKEY checked, no signature
    SIGNED = "SIGNED"  # key, timestamp, recvWindow and signature checked


class Context(NamedTuple):  # immutable, and cheaper to build than a frozen dataclass
    """What an endpoint's `rules` and `answer` may read: the mock's state at this call."""

    now_ms: int
    profile: Profile
    ledger: Ledger  # the margin transfer history
    account: Account | None  # None for Security.NONE
    wallets: Wallets | None = None  # every account's balances
    market: Market | None = None  # the seeded market (mock_server/market/)
    weights: Weights | None = None  # the weight counters, read for their limits
    universal: UniversalBook | None = None  # universal transfers, every account's
    loans: LoanBook | None = None  # margin loans and interest, every account's
    orders: OrderBook | None = None  # orders and fills, every account's


Values = dict[str, Any]  # the declared parameters' values, None where absent without a default
Rules = Callable[[Values, Context], Any]
Write = Callable[[Any, Context, Operations], Any]  # the request in, the request the answer needs out
Answer = Callable[[Any, Context], bytes]
Schema = Callable[[Profile], dict[str, Any]]


@dataclass(frozen=True, slots=True)
class Paging:
    """How a history endpoint pages its rows and bounds its time window, as data: the recorder
    walks every page of a window by it, the control API and the page show its windows, and the
    Python API asserts on its path by default."""

    default_window_ms: int  # the window without startTime
    max_window_ms: int  # the longest window one call may ask for
    max_size: int  # rows a page at most
    page: str = "current"  # the parameter of the page number, from 1
    size: str = "size"
    start: str = "startTime"
    end: str = "endTime"


def no_rules(values: Values, ctx: Context) -> Values:
    """An endpoint without checks of its own: its answer gets the parameters' values."""
    return values


@dataclass(frozen=True, slots=True)
class Endpoint:
    method: str
    path: str
    summary: str
    answer: Answer
    schema: Schema  # the 200 body's JSON schema, for /_mock/openapi.json
    security: Security = Security.NONE
    weight: int = 1
    weight_kind: Literal["IP", "UID"] = "IP"
    # A weight that depends on the parameters (a depth's limit, a ticker's symbols), from the
    # first value of each name as sent; `weight` when they cannot be read.
    weight_of: Callable[[Mapping[str, str]], int] | None = None
    permission: str | None = None  # a key without it gets -2015
    params: tuple[ParamRule, ...] = ()
    rules: Rules = no_rules
    write: Write | None = None  # runs for a signed or keyed caller, after every check has passed
    paging: Paging | None = None  # a history: the margin transfers (one endpoint declares it)
    margin_account: bool = False  # F21: a key without a margin account gets -3003
    paced: bool = False  # F23: under pacing, calls of one account too close get -21003
    places_order: bool = False  # counts in the account's order-count limits (-1015) and headers
    # exact: emulated to the byte; world: Binance's rules and shapes, answered from the seeded
    # world (the market, the accounts); spec: Binance's rules and a schema-valid body.
    tier: Literal["exact", "world", "spec"] = "exact"
    operation_id: str = ""
    # Derived once, read on every call.
    known: frozenset[str] = field(init=False, repr=False)
    sapi: bool = field(init=False, repr=False)  # /sapi: its own weight counters and content type
    content_type: str = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if self.write is not None and self.security is Security.NONE:
            # A write changes an account's holdings: with no key there is no account to change.
            raise ValueError(f"{self.method} {self.path} writes, so it needs security API_KEY or SIGNED")
        names = frozenset(p.name for p in self.params)
        signed = SECURITY_PARAMS if self.security is Security.SIGNED else frozenset()
        object.__setattr__(self, "known", names | signed)
        sapi = self.path.startswith("/sapi/")
        object.__setattr__(self, "sapi", sapi)
        object.__setattr__(self, "content_type", SAPI_JSON if sapi else API_JSON)
