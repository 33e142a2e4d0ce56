"""Borrowing and repaying in margin: the loan lands in the wallet, interest is charged by the
hour as the mock's clock passes, repaying pays interest first, and the limits (maxBorrowable,
the mock's inventory, maxTransferable while owing) refuse with Binance's errors."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from helpers import NOW, ccxt_binance, signed_call

from mock_server import MockBinance
from mock_server.exchange import Exchange, Settings
from mock_server.exchange.wire import Call, Reply
from mock_server.state.clock import Clock

LOAN = "/sapi/v1/margin/borrow-repay"
HOUR = 3_600_000
START = NOW // HOUR * HOUR + 10 * 60_000  # ten minutes into an hour


def _exchange() -> Exchange:
    clock = Clock()
    clock.freeze(START)
    ex = Exchange(Settings(anchor_ms=NOW, rows=0), clock=clock)  # no history: MARGIN holds what a test sets
    ex.set_balance("MARGIN", "USDT", "1000")
    return ex


_call = signed_call  # a signed call of the demo account (or the one named) to the exchange


def _usdt(ex: Exchange) -> dict[str, Decimal]:
    margin = _call(ex, "GET", "/sapi/v1/margin/account")[1]
    row = {a["asset"]: a for a in margin["userAssets"]}["USDT"]
    return {k: Decimal(row[k]) for k in ("free", "borrowed", "interest", "netAsset")}


def test_a_loan_lands_in_margin_with_an_hours_interest_and_is_listed() -> None:
    ex = _exchange()
    reply, body = _call(ex, "POST", LOAN, asset="USDT", amount="100", type="BORROW")
    assert reply.status == 200 and reply.headers["X-SAPI-USED-UID-WEIGHT-1M"] == "1500"
    first = Decimal("0.00062500")  # 100 * 0.00015 / 24, the first hour's
    assert _usdt(ex) == {"free": Decimal(1100), "borrowed": Decimal(100), "interest": first,
                         "netAsset": Decimal(1000) - first}  # fmt: skip
    margin = _call(ex, "GET", "/sapi/v1/margin/account")[1]
    assert margin["marginLevel"] != "999.00000000" and Decimal(margin["totalLiabilityOfBtc"]) > 0
    listed = _call(ex, "GET", LOAN, type="BORROW")[1]
    assert listed["total"] == 1 and listed["rows"][0] == {
        "isolatedSymbol": "", "amount": "100.00000000", "asset": "USDT", "interest": "0.00000000",
        "principal": "100.00000000", "status": "CONFIRMED", "timestamp": START, "txId": body["tranId"],
    }  # fmt: skip


def test_interest_is_charged_each_hour_the_clock_passes_and_repaying_pays_it_first() -> None:
    ex = _exchange()
    _call(ex, "POST", LOAN, asset="USDT", amount="100", type="BORROW")
    ex.advance_clock(50 * 60_000)  # crosses one hour's start
    assert _usdt(ex)["interest"] == Decimal("0.00125000")
    ex.advance_clock(2 * HOUR)  # two more
    assert _usdt(ex)["interest"] == Decimal("0.00250000")
    charges = _call(ex, "GET", "/sapi/v1/margin/interestHistory", asset="USDT")[1]
    assert [c["type"] for c in charges["rows"]] == ["PERIODIC", "PERIODIC", "PERIODIC", "ON_BORROW"]
    assert charges["rows"][0]["interestAccuredTime"] == START // HOUR * HOUR + 3 * HOUR
    assert {c["interest"] for c in charges["rows"]} == {"0.00062500"} and charges["rows"][0][
        "interestRate"
    ] == "0.00015000"
    _, paid = _call(ex, "POST", LOAN, asset="USDT", amount="1", type="REPAY")
    after = _usdt(ex)
    assert (after["interest"], after["borrowed"]) == (Decimal(0), Decimal("99.0025"))
    (repay,) = _call(ex, "GET", LOAN, type="REPAY")[1]["rows"]
    assert (repay["txId"], repay["interest"], repay["principal"]) == (
        paid["tranId"],
        "0.00250000",
        "0.99750000",
    )
    _call(ex, "POST", LOAN, asset="USDT", amount="99.0025", type="REPAY")
    assert (_usdt(ex)["borrowed"], _usdt(ex)["interest"]) == (0, 0)
    ex.advance_clock(5 * HOUR)
    assert _usdt(ex)["interest"] == 0  # nothing owed, nothing charged


def test_the_limits_refuse_with_binances_errors_and_move_nothing() -> None:
    ex = _exchange()
    most = Decimal(_call(ex, "GET", "/sapi/v1/margin/maxBorrowable", asset="USDT")[1]["amount"])
    equity = sum(  # the margin wallet's worth in USDT, as the account says it
        Decimal(a["netAsset"]) * _price(ex, a["asset"])
        for a in _call(ex, "GET", "/sapi/v1/margin/account")[1]["userAssets"]
    )
    assert abs(most - 2 * equity) < 1  # cross margin 3x: debts up to twice the net worth
    before = ex.balances()
    reply, body = _call(ex, "POST", LOAN, asset="USDT", amount=str(most + 1), type="BORROW")
    assert (reply.status, body) == (
        400,
        {"code": -3006, "msg": "Your borrow amount has exceed maximum borrow amount."},
    )
    assert _call(ex, "POST", LOAN, asset="USDT", amount="5", type="REPAY")[1]["code"] == -3015
    assert ex.balances() == before
    _call(ex, "POST", LOAN, asset="USDT", amount="100", type="BORROW")
    assert Decimal(_call(ex, "GET", "/sapi/v1/margin/maxBorrowable", asset="USDT")[1]["amount"]) < most - 100
    # While owing, only what keeps the margin level at 2 may leave.
    out = Decimal(_call(ex, "GET", "/sapi/v1/margin/maxTransferable", asset="USDT")[1]["amount"])
    assert out == Decimal("899.99875000")  # 1,100 held less twice the 100.000625 owed
    refused = _call(
        ex, "POST", "/sapi/v1/asset/transfer", type="MARGIN_MAIN", asset="USDT", amount=str(out + 1)
    )[1]
    assert refused["code"] == -3020
    assert (
        _call(ex, "POST", "/sapi/v1/asset/transfer", type="MARGIN_MAIN", asset="USDT", amount=str(out))[
            0
        ].status
        == 200
    )
    # Repaying more than the free balance: -3041.
    ex.set_balance("MARGIN", "USDT", "1")
    assert _call(ex, "POST", LOAN, asset="USDT", amount="50", type="REPAY")[1]["code"] == -3041


def _price(ex: Exchange, asset: str) -> Decimal:
    if asset == "USDT":
        return Decimal(1)
    reply = ex.handle(Call("GET", "/api/v3/ticker/price", f"symbol={asset}USDT".encode()))
    assert isinstance(reply, Reply)
    return Decimal(json.loads(reply.body)["price"]) if reply.status == 200 else Decimal(0)


def test_the_mocks_inventory_runs_out_with_3045() -> None:
    ex = _exchange()
    ex.set_balance("MARGIN", "USDT", "10000000")
    limit = _call(ex, "GET", "/sapi/v1/margin/maxBorrowable", asset="USDT")[1]
    assert limit == {"amount": "5000000.00000000", "borrowLimit": "5000000.00000000"}
    body = _call(ex, "POST", LOAN, asset="USDT", amount="5000000.00000001", type="BORROW")[1]
    assert body == {"code": -3045, "msg": "The system doesn't have enough asset now."}


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"asset": "USDT", "amount": "1", "type": "BORROW", "isIsolated": "TRUE"}, -1102),
        ({"asset": "NOPE", "amount": "1", "type": "BORROW"}, -3027),
        ({"asset": "USDT", "amount": "0", "type": "BORROW"}, -1130),
        ({"asset": "USDT", "amount": "1", "type": "LEND"}, -1130),
        ({"asset": "USDT", "amount": "1"}, -1102),
    ],
)
def test_a_bad_loan_gets_binances_error(params: dict[str, str], code: int) -> None:
    ex = _exchange()
    before = ex.balances()
    assert _call(ex, "POST", LOAN, **params)[1]["code"] == code
    assert ex.balances() == before


def test_an_isolated_loan_goes_into_the_pairs_wallet_and_a_reset_forgets_loans() -> None:
    ex = _exchange()
    ex.set_balance("ISOLATED:BTCUSDT", "USDT", "500")
    _call(ex, "POST", LOAN, asset="USDT", amount="200", type="BORROW", isIsolated="TRUE", symbol="BTCUSDT")
    pair = _call(ex, "GET", "/sapi/v1/margin/isolated/account", symbols="BTCUSDT")[1]["assets"][0]
    assert pair["quoteAsset"]["borrowed"] == "200.00000000" and pair["marginLevel"] != "999.00000000"
    assert (
        _call(ex, "GET", LOAN, type="BORROW", isolatedSymbol="BTCUSDT")[1]["rows"][0]["isolatedSymbol"]
        == "BTCUSDT"
    )
    ex.reset()
    ex.set_clock({"now_ms": START})
    assert _call(ex, "GET", LOAN, type="BORROW")[1] == {"rows": [], "total": 0}


def test_unmodified_clients_borrow_and_repay() -> None:
    from binance.spot import Spot

    with MockBinance(rows=20) as mock:
        mock.set_balance("USDT", "1000", wallet="MARGIN")
        connector = Spot(api_key=mock.api_key, api_secret=mock.secret, base_url=mock.base_url)
        loan = connector.borrow_repay(
            asset="USDT", isIsolated="FALSE", symbol="BTCUSDT", amount="50", type="BORROW"
        )
        assert Decimal(connector.margin_max_borrowable(asset="USDT")["amount"]) > 0
        ex = ccxt_binance(mock.base_url, apiKey=mock.api_key, secret=mock.secret)
        ex.borrow_cross_margin("USDT", 25)
        ex.repay_cross_margin("USDT", 10)
        margin = mock.balances()["MARGIN"]["USDT"]
        owed = Decimal(margin["borrowed"]) + Decimal(margin["interest"])
        assert Decimal(margin["free"]) == Decimal(1000 + 50 + 25 - 10)
        assert Decimal(75) - 10 < owed < Decimal(75)  # the repay took the interest first
        records = connector.borrow_repay_record(type="BORROW")["rows"]
        assert [r["txId"] for r in records][-1] == loan["tranId"] and len(records) == 2


def test_a_refused_call_keeps_the_hours_charged_and_a_clock_moved_back_charges_no_hour_twice() -> None:
    ex = _exchange()
    _call(ex, "POST", LOAN, asset="USDT", amount="100", type="BORROW")
    ex.advance_clock(2 * HOUR)  # two hours' starts
    assert _call(ex, "POST", LOAN, asset="USDT", amount="1000000", type="BORROW")[1]["code"] == -3006
    assert _usdt(ex)["interest"] == Decimal("0.00187500")  # the refusal took no charge back
    ex.set_clock({"now_ms": START + HOUR})
    ex.set_clock({"now_ms": START + 2 * HOUR})
    assert _usdt(ex)["interest"] == Decimal("0.00187500")
    ex.advance_clock(HOUR)
    assert _usdt(ex)["interest"] == Decimal("0.00250000")
    assert Decimal(ex.balances()["MARGIN"]["USDT"].interest) == Decimal("0.00250000")
