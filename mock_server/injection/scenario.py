"""Scenario files (`--scenario PATH`, JSON or TOML): the start state in the control API's shapes.

    {"clock": {"now_ms": 1790000000000},
     "pacing": {"min_interval_ms": 500},
     "faults": [{"code": -3065, "args": ["LUNA", "10", "LUNA"], "times": null}],
     "transfers": [{"apiKey": "...", "rows": [ROW, ...]}],
     "rows": [ROW, ...],
     "market": {"BTCUSDT": {"price": "61000.5"}, "ETHUSDT": {"path": [{"in_ms": 300000, "price": "3000"}]}},
     "balances": [{"wallet": "MARGIN", "asset": "USDT", "free": "500", "apiKey": "..."}],
     "streams": {"faults": [{"kind": "gap", "match": {"stream": "btcusdt@depth@100ms"}}]}}

Everything is validated when the file is read, so a bad scenario stops the server at
start with a message naming the field, never on the first request.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mock_server.injection.faults import parse_rule
from mock_server.market.steering import Plan, parse_plan
from mock_server.rules.files import read_table
from mock_server.state.clock import parse_clock_setting
from mock_server.state.data import parse_rows
from mock_server.state.ledger import Transfer
from mock_server.state.wallets import amount, wallet_name
from mock_server.streams.faults import ACTS_AT_ONCE, parse_fault

_FIELDS = frozenset({"clock", "pacing", "faults", "transfers", "rows", "market", "balances", "streams"})
_BALANCE_FIELDS = frozenset({"wallet", "asset", "free", "apiKey"})


@dataclass(frozen=True)
class Scenario:
    clock: dict[str, Any] | None = None
    min_interval_ms: int | None = None
    faults: list[dict[str, Any]] = field(default_factory=list)
    transfers: list[tuple[str | None, list[Transfer]]] = field(default_factory=list)
    source: str = "scenario"
    market: list[tuple[str, Plan]] = field(default_factory=list)  # applied in this order, at start
    balances: list[dict[str, Any]] = field(default_factory=list)  # PUT /_mock/accounts/.../balances' shape
    stream_faults: list[dict[str, Any]] = field(default_factory=list)  # POST /_mock/streams/faults' shape


def parse_scenario(data: Any, source: str) -> Scenario:
    if not isinstance(data, dict):
        raise ValueError(f"{source}: a scenario is an object")
    unknown = sorted(set(data) - _FIELDS)
    if unknown:
        near = [m for name in unknown for m in difflib.get_close_matches(name, sorted(_FIELDS), n=1)]
        hint = f"; did you mean {', '.join(repr(n) for n in near)}?" if near else ""
        raise ValueError(
            f"{source}: unknown field(s) {', '.join(repr(n) for n in unknown)}{hint} "
            f"(a scenario has {', '.join(sorted(_FIELDS))})"
        )
    clock = data.get("clock")
    if clock is not None:
        try:
            parse_clock_setting(clock)
        except ValueError as exc:
            raise ValueError(f"{source}: {exc}") from None
    min_interval = None
    pacing = data.get("pacing")
    if pacing is not None:
        value = pacing.get("min_interval_ms") if isinstance(pacing, dict) else None
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise ValueError(f"{source}: pacing.min_interval_ms must be a non-negative integer")
        min_interval = value
    faults = data.get("faults", [])
    if not isinstance(faults, list):
        raise ValueError(f"{source}: faults must be a list")
    for i, rule in enumerate(faults):
        try:
            parse_rule(rule, i + 1)
        except ValueError as exc:
            raise ValueError(f"{source}: faults[{i}]: {exc}") from None
    transfers: list[tuple[str | None, list[Transfer]]] = []
    if "rows" in data:
        transfers.append((None, parse_rows(data["rows"], f"{source}: rows")))
    blocks = data.get("transfers", [])
    if not isinstance(blocks, list):
        raise ValueError(f"{source}: transfers must be a list")
    for i, block in enumerate(blocks):
        where = f"{source}: transfers[{i}]"
        if not isinstance(block, dict):
            raise ValueError(f"{where}: an object with apiKey and rows")
        key = block.get("apiKey")
        if key is not None and not isinstance(key, str):
            raise ValueError(f"{where}: apiKey must be a string")
        transfers.append((key, parse_rows(block.get("rows"), f"{where}.rows")))
    market = data.get("market", {})
    if not isinstance(market, dict):
        raise ValueError(
            f'{source}: market must be an object of symbols, such as {{"BTCUSDT": {{"price": "61000.5"}}}}'
        )
    plans: list[tuple[str, Plan]] = []
    for symbol, body in market.items():
        try:
            plans.append((symbol, parse_plan(body)))
        except ValueError as exc:
            raise ValueError(f"{source}: market.{symbol}: {exc}") from None
    balances = data.get("balances", [])
    if not isinstance(balances, list):
        raise ValueError(f'{source}: balances must be a list of {{"wallet", "asset", "free", "apiKey"}}')
    for i, b in enumerate(balances):
        where = f"{source}: balances[{i}]"
        if not isinstance(b, dict) or not {"asset", "free"} <= set(b) or set(b) - _BALANCE_FIELDS:
            got = sorted(b) if isinstance(b, dict) else type(b).__name__
            raise ValueError(
                f'{where}: a balance is {{"wallet": "SPOT", "asset": "USDT", "free": "1000"}}; got {got}'
            )
        try:
            wallet_name(b.get("wallet", "SPOT"))
            amount(b["free"], "free")
        except ValueError as exc:
            raise ValueError(f"{where}: {exc}") from None
    return Scenario(
        clock,
        min_interval,
        list(faults),
        transfers,
        source,
        plans,
        list(balances),
        _stream_faults(data, source),
    )


def _stream_faults(data: dict[str, Any], source: str) -> list[dict[str, Any]]:
    streams = data.get("streams", {})
    if not isinstance(streams, dict) or set(streams) - {"faults"}:
        raise ValueError(f'{source}: streams is {{"faults": [...]}}, the rules of POST /_mock/streams/faults')
    rules = streams.get("faults", [])
    if not isinstance(rules, list):
        raise ValueError(f"{source}: streams.faults must be a list")
    for i, rule in enumerate(rules):
        where = f"{source}: streams.faults[{i}]"
        try:
            parse_fault(rule)
        except ValueError as exc:
            raise ValueError(f"{where}: {exc}") from None
        if rule.get("kind") in ACTS_AT_ONCE:
            raise ValueError(
                f"{where}: {rule['kind']} acts on the connections open when it is added, and a scenario "
                "is read before any opens; use refuse, or POST /_mock/streams/faults during the run"
            )
    return list(rules)


def load_scenario(path: str | Path) -> Scenario:
    p = Path(path)
    data: Any = read_table(p)
    return parse_scenario(data, str(p))
