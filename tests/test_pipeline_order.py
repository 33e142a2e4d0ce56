"""Binance's order of checks, table-driven: break two rules at once, for every adjacent pair of
pipeline steps, and the earlier step answers. Run for the margin endpoint without a cassette,
with one in both --on-miss modes, and for the endpoint declared in test_adding_an_endpoint.py."""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from helpers import NOW
from test_adding_an_endpoint import COUNT, ENDPOINTS
from test_world import PAY_TWICE

from mock_server.exchange import Exchange, Settings
from mock_server.exchange.pipeline import STEPS
from mock_server.exchange.wire import Call
from mock_server.replay.cassette import Cassette, Interaction, RecordedRequest, RecordedResponse
from mock_server.rules.signature import sign_hmac
from mock_server.state.accounts import DEMO_API_KEY, DEMO_SECRET
from mock_server.state.clock import Clock

MARGIN = "/sapi/v1/margin/transfer"
NO_MARGIN_KEY = "NoMarginAccount1"
ROWS = b'{"rows":[],"total":0}'


@dataclass
class Request:
    """One call, built up by breakers; signed last, like a client does."""

    path: str
    params: dict[str, Any]
    method: str = "GET"
    api_key: str = DEMO_API_KEY
    ts: int = NOW
    signature: str | None = "valid"  # "valid": computed; None: not sent; else sent as is

    def call(self) -> Call:
        query = urlencode({**self.params, "timestamp": self.ts})
        if self.signature is not None:
            sig = sign_hmac(DEMO_SECRET, query.encode()) if self.signature == "valid" else self.signature
            query += f"&signature={sig}"
        return Call(self.method, self.path, query.encode(), b"", self.api_key, "127.0.0.1")


@dataclass(frozen=True)
class Target:
    name: str
    path: str
    params: dict[str, Any]  # a request every step passes
    bad_param: dict[str, Any]  # breaks "parameter"
    bad_rule: dict[str, Any]  # breaks "rules"
    codes: dict[str, int]  # the code each step answers
    cassette: bool = False
    on_miss: str = "error"
    unbreakable: frozenset[str] = field(default_factory=frozenset)  # steps with no way to fail
    method: str = "GET"
    bad_write: dict[str, Any] = field(default_factory=lambda: {"amount": "1000"})  # more than the balance


CODES = {"route": -1099, "weight": -1003, "key": -2015, "mandatory": -1102, "recv_window": -1131,
         "timestamp": -1021, "signature": -1022, "parameter": -1130, "fault": -3044, "pacing": -21003,
         "account": -3003, "orders": -1015, "answer": -1099, "write": -2010}  # fmt: skip
MARGIN_CASE = {"path": MARGIN, "params": {"asset": "BNB"}, "bad_param": {"size": 1000},
               "bad_rule": {"startTime": NOW - 40 * 86_400_000, "endTime": NOW},
               "codes": {**CODES, "rules": -1127}}  # fmt: skip
TARGETS = [
    Target("margin", **MARGIN_CASE, unbreakable=frozenset({"orders", "answer", "write"})),
    Target("margin+cassette(on-miss error)", **MARGIN_CASE, cassette=True,
           unbreakable=frozenset({"orders", "write"})),
    Target("margin+cassette(on-miss ledger)", **MARGIN_CASE, cassette=True, on_miss="ledger",
           unbreakable=frozenset({"orders", "answer", "write"})),
    Target("declared", COUNT.path, {"asset": "BTC"}, {"asset": "BTC", "limit": 501}, {"asset": "DOGE"},
           {**CODES, "rules": -3027}, unbreakable=frozenset({"orders", "answer", "write"})),
    # test_world.py's: no rules, pacing or margin account of its own; its write step can refuse.
    Target("writer", PAY_TWICE.path, {"asset": "USDT", "amount": "1"}, {"asset": "USDT", "amount": "x"}, {},
           CODES | {"parameter": -1100}, method="POST",
           unbreakable=frozenset({"rules", "pacing", "account", "orders", "answer"})),
    # A new spot order: counted in the order-count windows; its write step refuses what the
    # balance cannot pay.
    Target("order", "/api/v3/order", {"symbol": "BTCUSDT", "side": "BUY", "type": "MARKET", "quantity": "0.0001"},
           {"symbol": "BTCUSDT", "side": "BUY", "type": "MARKET", "quantity": "x"}, {"side": "HOLD"},
           CODES | {"parameter": -1100, "rules": -1117}, method="POST",
           unbreakable=frozenset({"pacing", "account", "answer"}), bad_write={"quantity": "0.01"}),
]  # fmt: skip


def _exchange(target: Target, tmp_path: Path) -> Exchange:
    keys = tmp_path / "keys.json"
    keys.write_text(json.dumps({"accounts": [
        {"apiKey": DEMO_API_KEY, "secret": DEMO_SECRET},
        {"apiKey": NO_MARGIN_KEY, "secret": DEMO_SECRET, "marginAccount": False},
    ]}))  # fmt: skip
    recorded = Interaction(
        RecordedRequest("GET", MARGIN, (("asset", "BNB"),)), RecordedResponse(200, {}, ROWS)
    )
    clock = Clock()
    clock.freeze(NOW)
    settings = Settings(
        anchor_ms=NOW, rows=100, keys_path=str(keys), endpoints=(*ENDPOINTS, PAY_TWICE),
        cassette=Cassette([recorded]) if target.cassette else None, on_miss=target.on_miss,
    )  # fmt: skip
    exchange = Exchange(settings, clock=clock)
    exchange.set_balance("SPOT", "USDT", "100")
    return exchange


# Each breaker changes the request, or the mock's state just before the call.
Breaker = Callable[[Request, Exchange, Target], None]


def _prime_pacing(req: Request, ex: Exchange, target: Target) -> None:
    ex.set_pacing(60_000)
    ex.handle(Request(target.path, dict(target.params), target.method, api_key=req.api_key).call())


BREAKERS: dict[str, Breaker] = {
    "route": lambda req, ex, t: setattr(req, "method", "PATCH"),  # no endpoint has it
    "weight": lambda req, ex, t: [setattr(c, "limit", 0) for c in (ex.weights.api_ip, ex.weights.sapi_ip,
                                                                   ex.weights.sapi_uid)] and None,
    "key": lambda req, ex, t: setattr(req, "api_key", "UnknownKey42"),
    "mandatory": lambda req, ex, t: setattr(req, "signature", None),
    "recv_window": lambda req, ex, t: req.params.update(recvWindow=60_001),
    "timestamp": lambda req, ex, t: setattr(req, "ts", NOW - 600_000),
    "signature": lambda req, ex, t: setattr(req, "signature", "0" * 64),
    "parameter": lambda req, ex, t: req.params.update(t.bad_param),
    "rules": lambda req, ex, t: req.params.update(t.bad_rule),
    "fault": lambda req, ex, t: ex.add_fault({"code": -3044, "times": None}) and None,
    "pacing": _prime_pacing,
    "account": lambda req, ex, t: setattr(req, "api_key", NO_MARGIN_KEY),
    "orders": lambda req, ex, t: setattr(ex.weights.orders_10s, "limit", 0),
    "answer": lambda req, ex, t: req.params.update(asset="ETH"),  # not on file: a cassette miss
    "write": lambda req, ex, t: req.params.update(t.bad_write),
}  # fmt: skip
# Request-level breakers first, then pacing's priming call (made with the final key), then the
# breakers of the mock's state, which would otherwise stop the priming call.
_STATE_BREAKERS = ("weight", "fault", "orders")


def _answer(target: Target, tmp_path: Path, broken: list[str]) -> tuple[str, int | None]:
    ex = _exchange(target, tmp_path)
    req = Request(target.path, dict(target.params), target.method)
    ordered = sorted(broken, key=lambda s: (s in _STATE_BREAKERS, s == "pacing"))
    for step in ordered:
        BREAKERS[step](req, ex, target)
    reply = ex.handle(req.call())
    assert ex.requests()[-1].check == reply.check
    return reply.check, reply.code


def test_the_steps_are_the_issue_order() -> None:
    assert set(BREAKERS) == set(STEPS)


@pytest.mark.parametrize("target", TARGETS, ids=[t.name for t in TARGETS])
def test_an_unbroken_request_is_answered(target: Target, tmp_path: Path) -> None:
    check, code = _answer(target, tmp_path, [])
    assert (check, code) == ("replay" if target.cassette else "ok", None)


# The cases are built without the steps a target cannot fail, rather than skipped when run: a
# skip would read as a test that could not be made, and hide a case that went missing.
SINGLES = [
    pytest.param(t, step, id=f"{step}-{t.name}")
    for t in TARGETS
    for step in STEPS
    if step not in t.unbreakable
]
PAIRS = [
    pytest.param(t, earlier, later, id=f"{earlier}-before-{later}-{t.name}")
    for t in TARGETS for earlier, later in itertools.pairwise(s for s in STEPS if s not in t.unbreakable)
]  # fmt: skip


def test_every_step_a_target_can_fail_is_a_case() -> None:
    for t in TARGETS:
        assert t.unbreakable <= set(STEPS), t.name
    every = {(t.name, step) for t in TARGETS for step in STEPS}
    unbreakable = {(t.name, step) for t in TARGETS for step in t.unbreakable}
    assert {(p.values[0].name, p.values[1]) for p in SINGLES} == every - unbreakable
    assert {(p.values[0].name, p.values[2]) for p in PAIRS} == every - unbreakable - {
        (t.name, STEPS[0]) for t in TARGETS
    }
    # Each pair is a target's two breakable steps in a row: none is left out between them.
    for p in PAIRS:
        target, earlier, later = p.values
        between = STEPS[STEPS.index(earlier) + 1 : STEPS.index(later)]
        assert set(between) <= target.unbreakable, p.id


@pytest.mark.parametrize(("target", "step"), SINGLES)
def test_each_rule_broken_alone_answers_its_step(target: Target, step: str, tmp_path: Path) -> None:
    expected = "cassette" if step == "answer" else step
    assert _answer(target, tmp_path, [step]) == (expected, target.codes[step])


@pytest.mark.parametrize(("target", "earlier", "later"), PAIRS)
def test_two_rules_broken_the_earlier_step_answers(
    target: Target, earlier: str, later: str, tmp_path: Path
) -> None:
    assert _answer(target, tmp_path, [earlier, later]) == (earlier, target.codes[earlier])
