"""One world, one writer: a test declares an endpoint that writes (a deposit into a wallet), one
that refuses half-way, and one that reads the balance back (the block between the markers), and
shows that a reset restores the balance and that concurrent writers lose nothing."""

from __future__ import annotations

import json
import threading
from decimal import Decimal
from urllib.parse import urlencode

import pytest
from helpers import NOW

from mock_server.endpoints.declaration import Context, Endpoint, Security, Values
from mock_server.endpoints.registry import DEFAULT_ENDPOINTS
from mock_server.exchange import Exchange, Settings
from mock_server.exchange.wire import Call, Reply
from mock_server.rules import errors
from mock_server.rules.fidelity import Switch
from mock_server.rules.params import Decimal as Amount
from mock_server.rules.params import Long, Text
from mock_server.rules.signature import sign_hmac
from mock_server.state.accounts import DEMO_API_KEY, DEMO_SECRET
from mock_server.state.clock import Clock
from mock_server.state.operations import Operations

# --- the declarations (with the imports they need above) ---


def balance_json(values: Values, ctx: Context) -> bytes:
    assert ctx.account is not None and ctx.wallets is not None
    return json.dumps(ctx.wallets.balance(ctx.account.api_key, "SPOT", values["asset"]).to_dict()).encode()


def deposit(values: Values, ctx: Context, ops: Operations) -> Values:
    ops.deposit("SPOT", values["asset"], Decimal(values["amount"]))
    return values


def pay_twice(values: Values, ctx: Context, ops: Operations) -> Values:
    """Two debits: the second may refuse after the first went through."""
    for _ in range(2):
        ops.withdraw("SPOT", values["asset"], Decimal(values["amount"]), "payment")
    return values


def _declare(method: str, path: str, **kw: object) -> Endpoint:
    params = (Text("asset", required=True), Amount("amount", required=method == "POST"))
    schema = lambda profile: {"type": "object"}  # noqa: E731
    return Endpoint(
        method, path, "a test's own", balance_json, schema, security=Security.SIGNED, params=params, **kw
    )  # type: ignore[arg-type]


DEPOSIT = _declare("POST", "/sapi/v1/test/deposit", write=deposit)
PAY_TWICE = _declare("POST", "/sapi/v1/test/payTwice", write=pay_twice)
BALANCE = _declare("GET", "/sapi/v1/test/balance")
ENDPOINTS = (*DEFAULT_ENDPOINTS, DEPOSIT, PAY_TWICE, BALANCE)
# --- end of the declarations ---


def _exchange() -> Exchange:
    clock = Clock()
    clock.freeze(NOW)
    return Exchange(Settings(anchor_ms=NOW, rows=50, endpoints=ENDPOINTS), clock=clock)


def _call(ex: Exchange, method: str, path: str, **params: str) -> Reply:
    query = urlencode({**params, "timestamp": NOW})
    query += "&signature=" + sign_hmac(DEMO_SECRET, query.encode())
    reply = ex.handle(Call(method, path, query.encode(), b"", DEMO_API_KEY))
    assert isinstance(reply, Reply)
    return reply


def _balance(ex: Exchange, asset: str = "LUNA") -> dict[str, str]:  # LUNA: no account holds it at start
    reply = _call(ex, "GET", BALANCE.path, asset=asset)
    assert reply.status == 200, reply.body
    return json.loads(reply.body)


def test_a_write_is_read_back_and_journaled() -> None:
    ex = _exchange()
    assert _balance(ex)["free"] == "0.00000000"
    reply = _call(ex, "POST", DEPOSIT.path, asset="LUNA", amount="12.5")
    assert reply.status == 200 and json.loads(reply.body)["free"] == "12.50000000"
    assert _balance(ex) == {"free": "12.50000000", "locked": "0.00000000", "borrowed": "0.00000000",
                           "interest": "0.00000000"}  # fmt: skip
    written = ex.requests()[-2]
    assert (written.path, written.check) == (DEPOSIT.path, "ok")
    assert written.to_dict()["changes"] == [
        {"op": "deposit", "wallet": "SPOT", "asset": "LUNA", "free": "12.50000000"}
    ]
    assert ex.requests()[-1].to_dict()["changes"] == []  # a read changes nothing
    assert ex.balances()["SPOT"]["LUNA"].free == Decimal("12.5")


def test_a_write_that_refuses_half_way_moves_nothing() -> None:
    ex = _exchange()
    _call(ex, "POST", DEPOSIT.path, asset="LUNA", amount="15")
    refused = _call(ex, "POST", PAY_TWICE.path, asset="LUNA", amount="10")  # the second 10 is not there
    assert (refused.status, refused.code, refused.msg) == (400, -2010, errors.INSUFFICIENT_BALANCE.template)
    assert ex.requests()[-1].check == "write" and ex.requests()[-1].changes == ()
    assert _balance(ex)["free"] == "15.00000000"
    causes = [e.cause for e in ex.world.wallets.entries() if e.cause != "opening"]
    assert causes == ["deposit"]  # the undone debit left no entry
    assert _call(ex, "POST", PAY_TWICE.path, asset="LUNA", amount="7.5").status == 200
    assert _balance(ex)["free"] == "0.00000000"


def test_a_reset_restores_the_balance_and_every_other_part() -> None:
    ex = _exchange()
    rows_at_start, balances_at_start = ex.transfers(), ex.balances()
    _call(ex, "POST", DEPOSIT.path, asset="LUNA", amount="1")
    ex.add_fault({"code": -3044, "times": 5})
    ex.set_pacing(500)
    ex.set_clock({"now_ms": NOW + 1})
    ex.add_transfers(
        [{"txId": 99, "timestamp": NOW, "asset": "BTC", "amount": "1.00000000", "type": "ROLL_IN"}]
    )
    ex.reset()
    assert ex.balances() == balances_at_start and ex.fault_rules() == [] and ex.min_interval_ms == 0
    assert ex.now_ms() == NOW and ex.requests() == [] and ex.transfers() == rows_at_start
    assert _balance(ex)["free"] == "0.00000000"


def test_snapshot_and_restore_round_trip_a_state_in_between() -> None:
    ex = _exchange()
    _call(ex, "POST", DEPOSIT.path, asset="LUNA", amount="2")
    ex.add_fault({"code": -3044, "times": 1, "match": {"path": DEPOSIT.path}})
    saved = ex.snapshot()
    _call(ex, "POST", DEPOSIT.path, asset="LUNA", amount="3")  # fires the fault: nothing deposited
    _call(ex, "POST", DEPOSIT.path, asset="LUNA", amount="3")
    assert _balance(ex)["free"] == "5.00000000" and ex.fault_rules()[0].fired == 1
    ex.restore(saved)
    assert ex.fault_rules()[0].fired == 0 and len(ex.requests()) == 1
    assert _balance(ex)["free"] == "2.00000000"


def test_64_threads_depositing_at_once_lose_nothing() -> None:
    ex = _exchange()
    start = threading.Barrier(64)

    def deposit_ten_times() -> None:
        start.wait()
        for _ in range(10):
            assert _call(ex, "POST", DEPOSIT.path, asset="LUNA", amount="0.01").status == 200

    threads = [threading.Thread(target=deposit_ten_times) for _ in range(64)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert _balance(ex)["free"] == "6.40000000"
    assert len([e for e in ex.world.wallets.entries() if e.cause == "deposit"]) == 640


def test_a_recorded_answer_runs_no_write() -> None:
    from mock_server.replay.cassette import Cassette, Interaction, RecordedRequest, RecordedResponse

    recorded = Interaction(
        RecordedRequest("POST", DEPOSIT.path, (("asset", "LUNA"), ("amount", "5"))),
        RecordedResponse(200, {}, b'{"free":"5"}'),
    )
    ex = Exchange(Settings(anchor_ms=NOW, rows=0, endpoints=ENDPOINTS, cassette=Cassette([recorded])))
    before = ex.balances()
    query = urlencode({"asset": "LUNA", "amount": "5", "timestamp": ex.now_ms()})
    query += "&signature=" + sign_hmac(DEMO_SECRET, query.encode())
    reply = ex.handle(Call("POST", DEPOSIT.path, query.encode(), b"", DEMO_API_KEY))
    assert isinstance(reply, Reply) and (reply.status, reply.body, reply.check) == (
        200,
        b'{"free":"5"}',
        "replay",
    )
    assert ex.balances() == before and "LUNA" not in before["SPOT"]


def test_a_transfer_row_can_change_status_and_the_page_shows_it() -> None:
    ex = _exchange()
    ex.add_transfers([{"txId": 7, "timestamp": NOW - 1, "asset": "BNB", "amount": "1.00000000",
                       "type": "ROLL_IN", "status": "PENDING"}])  # fmt: skip
    assert ex.operations().set_transfer_status(7, "CONFIRMED")
    assert not ex.operations().set_transfer_status(8, "CONFIRMED")  # no such row
    reply = _call(ex, "GET", "/sapi/v1/margin/transfer", asset="BNB", size="1")
    assert json.loads(reply.body)["rows"][0] == {"amount": "1.00000000", "asset": "BNB", "status": "CONFIRMED",
                                                 "timestamp": NOW - 1, "txId": 7, "type": "ROLL_IN"}  # fmt: skip


def test_a_misspelt_profile_decision_raises_when_declared() -> None:
    with pytest.raises(ValueError, match="unknown fidelity decision 'below_mn'"):
        Long("size", minimum=1, below=Switch("below_mn", "default"))
    with pytest.raises(ValueError, match="'below_min' takes one of error, default; got 'clamp'"):
        Switch("below_min", "clamp")


def test_set_balance_names_a_bad_value() -> None:
    ex = _exchange()
    assert ex.set_balance("spot", "usdt", "100").free == Decimal(100)
    assert ex.balances()["SPOT"]["USDT"].free == Decimal(100)
    with pytest.raises(
        ValueError, match="wallet must be one of SPOT, MARGIN, FUNDING or ISOLATED:<SYMBOL>; got 'FUTURES'"
    ):
        ex.set_balance("FUTURES", "USDT", "1")
    with pytest.raises(ValueError, match=r"free must be a decimal string such as \"10.5\"; got 0.1"):
        ex.set_balance("SPOT", "USDT", 0.1)
    with pytest.raises(ValueError, match="free must be a non-negative decimal; got '-1'"):
        ex.set_balance("SPOT", "USDT", "-1")


def test_an_endpoint_that_writes_without_a_key_is_refused_when_declared() -> None:
    with pytest.raises(ValueError, match="POST /x writes, so it needs security API_KEY or SIGNED"):
        Endpoint("POST", "/x", "no key", balance_json, lambda profile: {}, write=deposit)
