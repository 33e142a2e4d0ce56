"""Universal transfers move balances and land in both histories; the seeded history and today's
balances agree; refusals move nothing. Through the exchange, and with unmodified clients."""

from __future__ import annotations

import asyncio
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from helpers import NOW, ccxt_binance, signed_call

from mock_server import MockBinance
from mock_server.exchange import Exchange, Settings
from mock_server.exchange.wire import Call
from mock_server.state.accounts import DEMO_API_KEY
from mock_server.state.clock import Clock
from mock_server.state.wallets import eight_decimals as eight

TRANSFER = "/sapi/v1/asset/transfer"
HISTORY = "/sapi/v1/margin/transfer"


def _exchange(rows: int = 300, **settings: Any) -> Exchange:
    clock = Clock()
    clock.freeze(NOW)
    return Exchange(Settings(anchor_ms=NOW, rows=rows, **settings), clock=clock)


_call = signed_call  # a signed call of the demo account (or the one named) to the exchange


def _free(ex: Exchange, wallet: str, asset: str) -> Decimal:
    b = ex.balances().get(wallet, {}).get(asset)
    return b.free if b is not None else Decimal(0)


def test_the_seeded_history_and_todays_margin_balances_agree() -> None:
    """Replaying the CONFIRMED rows with the cross margin wallet on one side, oldest first, from
    the opening balances, never goes below zero and ends at today's MARGIN balances."""
    ex = _exchange(rows=2_000)
    net: dict[str, Decimal] = {}
    low: dict[str, Decimal] = {}
    for row in sorted(ex.transfers(), key=lambda r: (r["timestamp"], r["txId"])):
        if row["status"] != "CONFIRMED":
            continue
        sign = (
            1 if row.get("transTo") == "CROSS_MARGIN" else -1 if row.get("transFrom") == "CROSS_MARGIN" else 0
        )
        net[row["asset"]] = net.get(row["asset"], Decimal(0)) + sign * Decimal(row["amount"])
        low[row["asset"]] = min(low.get(row["asset"], Decimal(0)), net[row["asset"]])
    assert len(net) > 5
    for asset, moved in net.items():
        opening = _free(ex, "MARGIN", asset) - moved
        assert opening >= 0 and opening + low[asset] == 0, asset  # never negative, and no more than needed
    assert _free(ex, "SPOT", "USDT") >= 10_000  # what an account keeps besides its history


def test_main_margin_moves_the_balance_and_is_the_first_row_of_both_histories() -> None:
    ex = _exchange()
    spot, margin = _free(ex, "SPOT", "USDT"), _free(ex, "MARGIN", "USDT")
    total = _call(ex, "GET", HISTORY, asset="USDT")[1]["total"]
    reply, body = _call(ex, "POST", TRANSFER, type="MAIN_MARGIN", asset="USDT", amount="10")
    assert reply.status == 200 and set(body) == {"tranId"}
    assert reply.headers["X-SAPI-USED-UID-WEIGHT-1M"] == "900"
    assert (_free(ex, "SPOT", "USDT"), _free(ex, "MARGIN", "USDT")) == (spot - 10, margin + 10)
    universal = _call(ex, "GET", TRANSFER, type="MAIN_MARGIN")[1]
    assert universal == {"total": 1, "rows": [{"asset": "USDT", "amount": "10.00000000", "type": "MAIN_MARGIN",
                                               "status": "CONFIRMED", "tranId": body["tranId"], "timestamp": NOW}]}  # fmt: skip
    history = _call(ex, "GET", HISTORY, asset="USDT")[1]
    assert history["total"] == total + 1
    assert history["rows"][0] == {"amount": "10.00000000", "asset": "USDT", "status": "CONFIRMED", "timestamp": NOW,
                                  "txId": body["tranId"], "type": "ROLL_IN", "transFrom": "SPOT",
                                  "transTo": "CROSS_MARGIN"}  # fmt: skip
    assert body["tranId"] > max(r["txId"] for r in ex.transfers() if r["txId"] != body["tranId"])
    (entry,) = [e for e in ex.requests() if e.method == "POST"]
    moved = [(c["op"], c.get("wallet"), c.get("free")) for c in entry.changes]  # the journal says what moved
    assert moved[:2] == [(f"transfer {body['tranId']}", "SPOT", "-10.00000000"),
                         (f"transfer {body['tranId']}", "MARGIN", "10.00000000")]  # fmt: skip


def test_out_of_margin_above_max_transferable_is_3020_and_moves_nothing() -> None:
    ex = _exchange()
    before = ex.balances()
    rows = ex.transfer_count()
    too_much = _free(ex, "MARGIN", "USDT") + Decimal("0.00000001")
    reply, body = _call(ex, "POST", TRANSFER, type="MARGIN_MAIN", asset="USDT", amount=str(too_much))
    assert (reply.status, body) == (400, {"code": -3020, "msg": "Transfer out amount exceeds max amount."})
    assert ex.balances() == before and ex.transfer_count() == rows
    assert _call(ex, "GET", TRANSFER, type="MARGIN_MAIN")[1] == {"total": 0, "rows": []}


def test_more_than_the_free_balance_is_5013_and_moves_nothing() -> None:
    ex = _exchange()
    before = ex.balances()
    amount = str(_free(ex, "SPOT", "USDT") + 1)
    reply, body = _call(ex, "POST", TRANSFER, type="MAIN_MARGIN", asset="USDT", amount=amount)
    assert (reply.status, body) == (
        400,
        {"code": -5013, "msg": "Asset transfer failed: insufficient balance"},
    )
    assert ex.balances() == before
    reply, body = _call(ex, "POST", TRANSFER, type="MAIN_FUNDING", asset="NOPE", amount="1")
    assert body["code"] == -5013 and ex.balances() == before


def test_isolated_transfers_name_their_symbols_and_write_them_in_the_row() -> None:
    ex = _exchange()
    ex.set_balance("MARGIN", "USDT", "100")
    btc, eth = _free(ex, "ISOLATED:BTCUSDT", "USDT"), _free(ex, "ISOLATED:ETHUSDT", "USDT")
    reply, body = _call(ex, "POST", TRANSFER, type="MARGIN_ISOLATEDMARGIN", asset="USDT", amount="40")
    assert body == {
        "code": -1102,
        "msg": "Mandatory parameter 'toSymbol' was not sent, was empty/null, or malformed.",
    }
    reply, body = _call(
        ex, "POST", TRANSFER, type="MARGIN_ISOLATEDMARGIN", asset="USDT", amount="40", toSymbol="BTCUSDT"
    )
    assert reply.status == 200
    _call(ex, "POST", TRANSFER, type="ISOLATEDMARGIN_ISOLATEDMARGIN", asset="USDT", amount="15", fromSymbol="BTCUSDT",
          toSymbol="ETHUSDT")  # fmt: skip
    assert (
        _free(ex, "ISOLATED:BTCUSDT", "USDT") - btc == 25
        and _free(ex, "ISOLATED:ETHUSDT", "USDT") - eth == 15
    )
    assert _free(ex, "MARGIN", "USDT") == 60
    (row,) = [r for r in ex.transfers() if r["txId"] == body["tranId"]]
    assert (row["type"], row["transFrom"], row["transTo"], row["toSymbol"]) == (
        "ROLL_OUT",
        "CROSS_MARGIN",
        "ISOLATED_MARGIN",
        "BTCUSDT",
    )
    listed = _call(ex, "GET", TRANSFER, type="ISOLATEDMARGIN_ISOLATEDMARGIN", fromSymbol="BTCUSDT")[1]
    assert [(r["fromSymbol"], r["toSymbol"], r["amount"]) for r in listed["rows"]] == [
        ("BTCUSDT", "ETHUSDT", "15.00000000")
    ]


@pytest.mark.parametrize(
    ("params", "code", "msg"),
    [
        ({"type": "MAIN_UMFUTURE", "asset": "USDT", "amount": "1"}, -1130, "Data sent for parameter 'type' is not valid."),
        ({"type": "SIDEWAYS", "asset": "USDT", "amount": "1"}, -1130, "Data sent for parameter 'type' is not valid."),
        ({"type": "MAIN_MARGIN", "asset": "USDT", "amount": "0"}, -1130, "Data sent for parameter 'amount' is not valid."),
        ({"type": "MAIN_MARGIN", "asset": "USDT", "amount": "0.000000001"}, -1130,
         "Data sent for parameter 'amount' is not valid."),
        ({"type": "MAIN_MARGIN", "asset": "USDT"}, -1102,
         "Mandatory parameter 'amount' was not sent, was empty/null, or malformed."),
        ({"type": "ISOLATEDMARGIN_ISOLATEDMARGIN", "asset": "USDT", "amount": "1", "fromSymbol": "BTCUSDT",
          "toSymbol": "BTCUSDT"}, -1130, "Data sent for parameter 'toSymbol' is not valid."),
    ],
)  # fmt: skip
def test_a_bad_transfer_gets_binances_error_and_moves_nothing(
    params: dict[str, str], code: int, msg: str
) -> None:
    ex = _exchange()
    before = ex.balances()
    reply, body = _call(ex, "POST", TRANSFER, **params)
    assert (reply.status, body) == (400, {"code": code, "msg": msg})
    assert ex.balances() == before


def test_a_key_without_universal_transfer_permission_is_refused(tmp_path: Path) -> None:
    keys = tmp_path / "keys.json"
    keys.write_text(
        json.dumps({"accounts": [{"apiKey": "K" * 64, "secret": "s", "permissions": ["reading", "margin"]}]})
    )
    ex = _exchange(keys_path=str(keys))
    reply, body = _call(
        ex, "POST", TRANSFER, api_key="K" * 64, secret="s", type="MAIN_MARGIN", asset="USDT", amount="1"
    )
    assert (reply.status, body["code"]) == (401, -2015)


def test_a_reset_takes_the_transfer_back() -> None:
    ex = _exchange()
    before, rows = ex.balances(), ex.transfer_count()
    _call(ex, "POST", TRANSFER, type="MAIN_MARGIN", asset="USDT", amount="10")
    ex.reset()
    ex.set_clock({"now_ms": NOW})
    assert ex.balances() == before and ex.transfer_count() == rows
    assert _call(ex, "GET", TRANSFER, type="MAIN_MARGIN")[1] == {"total": 0, "rows": []}


def test_unmodified_clients_transfer_and_read_back() -> None:
    """python-binance and binance-connector move USDT spot -> margin -> spot, ccxt moves it to
    margin; both histories and the balances agree to the last decimal."""
    from binance.client import Client
    from binance.spot import Spot

    loop = asyncio.new_event_loop()  # python-binance takes the current loop, or makes one it never closes
    asyncio.set_event_loop(loop)
    try:
        _transfer_and_read_back(Client, Spot)
    finally:
        asyncio.set_event_loop(None)
        loop.close()


def _transfer_and_read_back(Client: Any, Spot: Any) -> None:
    with MockBinance(rows=300) as mock:
        spot0 = Decimal(mock.balances()["SPOT"]["USDT"]["free"])
        margin0 = Decimal(mock.balances()["MARGIN"]["USDT"]["free"])
        pb = Client(mock.api_key, mock.secret, base_endpoint="", ping=False)
        pb.API_URL = f"{mock.base_url}/api"
        pb.MARGIN_API_URL = f"{mock.base_url}/sapi"
        first = pb.universal_transfer(type="MAIN_MARGIN", asset="USDT", amount="12.5")
        connector = Spot(api_key=mock.api_key, api_secret=mock.secret, base_url=mock.base_url)
        second = connector.user_universal_transfer(type="MARGIN_MAIN", asset="USDT", amount="2.25")
        ex = ccxt_binance(mock.base_url, apiKey=mock.api_key, secret=mock.secret)
        third = ex.transfer("USDT", 1, "spot", "margin")
        balances = mock.balances()
        assert Decimal(balances["SPOT"]["USDT"]["free"]) == spot0 - Decimal("11.25")
        assert Decimal(balances["MARGIN"]["USDT"]["free"]) == margin0 + Decimal("11.25")
        listed = pb.query_universal_transfer_history(type="MAIN_MARGIN")
        assert [r["tranId"] for r in listed["rows"]] == [int(third["id"]), first["tranId"]]
        out = connector.user_universal_transfer_history(type="MARGIN_MAIN")
        assert [(r["tranId"], r["amount"]) for r in out["rows"]] == [(second["tranId"], "2.25000000")]
        # Every account read agrees with the wallets, to the last decimal.
        spot_usdt = balances["SPOT"]["USDT"]["free"]
        margin_usdt = balances["MARGIN"]["USDT"]["free"]
        assert {b["asset"]: b["free"] for b in pb.get_account()["balances"]}["USDT"] == spot_usdt
        assert {a["asset"]: a["free"] for a in pb.get_margin_account()["userAssets"]}["USDT"] == margin_usdt
        assert {b["asset"]: b["free"] for b in connector.account()["balances"]}["USDT"] == spot_usdt
        assert connector.margin_max_transferable(asset="USDT")["amount"] == margin_usdt
        assert Decimal(str(ex.fetch_balance()["USDT"]["free"])) == Decimal(spot_usdt)
        assert Decimal(str(ex.fetch_balance({"type": "margin"})["USDT"]["free"])) == Decimal(margin_usdt)
        margin = pb.get_margin_transfer_history(asset="USDT")  # python-binance: GET /sapi/v1/margin/transfer
        assert [(r["txId"], r["type"]) for r in margin["rows"][:3]] == [
            (int(third["id"]), "ROLL_IN"),
            (second["tranId"], "ROLL_OUT"),
            (first["tranId"], "ROLL_IN"),
        ]


def test_the_accounts_show_the_wallets_and_agree_after_a_transfer() -> None:
    """/api/v3/account, margin/account, maxTransferable and the funding wallet read the same
    balances, before and after a transfer, to the last decimal."""
    ex = _exchange()
    spot = _call(ex, "GET", "/api/v3/account")[1]
    margin = _call(ex, "GET", "/sapi/v1/margin/account")[1]
    usdt = {b["asset"]: b for b in spot["balances"]}["USDT"]
    assert Decimal(usdt["free"]) == _free(ex, "SPOT", "USDT") and spot["accountType"] == "SPOT"
    assert (
        spot["commissionRates"]["maker"] == "0.00100000"
        and spot["uid"] == _call(ex, "GET", "/api/v3/account")[1]["uid"]
    )
    before = {a["asset"]: a for a in margin["userAssets"]}["USDT"]
    assert Decimal(before["free"]) == _free(ex, "MARGIN", "USDT") and before["netAsset"] == before["free"]
    assert margin["marginLevel"] == "999.00000000" and margin["totalLiabilityOfBtc"] == "0.00000000"
    assert _call(ex, "GET", "/sapi/v1/margin/maxTransferable", asset="USDT")[1] == {"amount": before["free"]}
    funding_before = _free(ex, "FUNDING", "USDT")
    _call(ex, "POST", TRANSFER, type="MAIN_MARGIN", asset="USDT", amount="10")
    _call(ex, "POST", TRANSFER, type="MAIN_FUNDING", asset="USDT", amount="3.5")
    after = {a["asset"]: a for a in _call(ex, "GET", "/sapi/v1/margin/account")[1]["userAssets"]}["USDT"]
    assert Decimal(after["free"]) - Decimal(before["free"]) == 10
    spot_after = {b["asset"]: b for b in _call(ex, "GET", "/api/v3/account")[1]["balances"]}["USDT"]
    assert Decimal(usdt["free"]) - Decimal(spot_after["free"]) == Decimal("13.5")
    coins = {c["coin"]: c for c in _call(ex, "GET", "/sapi/v1/capital/config/getall")[1]}
    assert (coins["USDT"]["free"], coins["USDT"]["locked"]) == (spot_after["free"], spot_after["locked"])
    funding_usdt = _free(ex, "FUNDING", "USDT")
    assert funding_usdt - funding_before == Decimal("3.5")
    assert _call(ex, "POST", "/sapi/v1/asset/get-funding-asset", asset="USDT")[1] == [
        {"asset": "USDT", "free": eight(funding_usdt), "locked": "0.00000000", "freeze": "0.00000000",
         "withdrawing": "0.00000000", "btcValuation": "0.00000000"}
    ]  # fmt: skip
    valued = _call(ex, "POST", "/sapi/v1/asset/get-funding-asset", asset="USDT", needBtcValuation="true")[1][
        0
    ]["btcValuation"]
    btc = Decimal(json.loads(ex.handle(Call("GET", "/api/v3/ticker/price", b"symbol=BTCUSDT")).body)["price"])
    assert abs(Decimal(valued) - funding_usdt / btc) < Decimal("0.00000001")
    # The margin account's total is its assets valued at the market's prices now.
    total = Decimal(_call(ex, "GET", "/sapi/v1/margin/account")[1]["totalAssetOfBtc"])
    assert total > 0
    assert _call(ex, "GET", "/sapi/v1/margin/maxTransferable", asset="NOSUCHCOIN")[1]["code"] == -3027


def _v2(tmp_path: Path, balances: Any, rows: list[dict[str, Any]], version: int = 2) -> str:
    path = tmp_path / "v2.json"
    account: dict[str, Any] = {"apiKey": DEMO_API_KEY, "rows": rows}
    if balances is not None:
        account["balances"] = balances
    path.write_text(
        json.dumps({"format": "binance-mock/transfers", "version": version, "accounts": [account]})
    )
    return str(path)


ROLL_OUT = {"txId": 5, "timestamp": NOW - 3_600_000, "asset": "BTC", "amount": "0.10000000", "type": "ROLL_OUT",
            "status": "CONFIRMED", "transFrom": "CROSS_MARGIN", "transTo": "SPOT"}  # fmt: skip


def test_a_version_2_fixture_gives_the_opening_balances_and_the_rows_move_them(tmp_path: Path) -> None:
    path = _v2(tmp_path, {"SPOT": {"USDT": "1000"}, "MARGIN": {"BTC": "0.5"}}, [ROLL_OUT])
    ex = _exchange(fixtures=(path,))
    assert (_free(ex, "MARGIN", "BTC"), _free(ex, "SPOT", "BTC"), _free(ex, "SPOT", "USDT")) == (
        Decimal("0.4"),
        Decimal("0.1"),
        Decimal(1000),
    )
    assert set(ex.balances()) == {"SPOT", "MARGIN"}  # nothing else: the file says what it holds


@pytest.mark.parametrize(
    ("balances", "version", "words"),
    [
        (
            {"MARGIN": {"BTC": "0.05"}},
            2,
            "the rows take MARGIN BTC below zero: it must open with at least 0.1",
        ),
        ({"MARGIN": {"BTC": "1"}}, 1, "'balances' needs \"version\": 2"),
        ({"FUTURES": {"BTC": "1"}}, 2, "wallet must be one of SPOT, MARGIN, FUNDING"),
        ({"MARGIN": {"BTC": "-1"}}, 2, "MARGIN.BTC: balance must be a non-negative decimal"),
        ({"MARGIN": ["BTC"]}, 2, 'expected {"USDT": "1000"}'),
    ],
)
def test_a_bad_version_2_fixture_stops_the_start_naming_the_file(
    tmp_path: Path, balances: Any, version: int, words: str
) -> None:
    path = _v2(tmp_path, balances, [ROLL_OUT], version)
    with pytest.raises(ValueError) as caught:
        _exchange(fixtures=(path,))
    assert "v2.json" in str(caught.value) and words in str(caught.value), str(caught.value)


def test_the_isolated_account_shows_each_isolated_wallet_and_a_transfer_into_it() -> None:
    ex = _exchange()
    ex.set_balance("MARGIN", "USDT", "100")
    before = _call(ex, "GET", "/sapi/v1/margin/isolated/account", symbols="BTCUSDT")[1]["assets"]
    quote_before = Decimal(before[0]["quoteAsset"]["free"]) if before else Decimal(0)
    _call(ex, "POST", TRANSFER, type="MARGIN_ISOLATEDMARGIN", asset="USDT", amount="40", toSymbol="BTCUSDT")
    body = _call(ex, "GET", "/sapi/v1/margin/isolated/account", symbols="BTCUSDT")[1]
    (btc,) = body["assets"]
    assert (btc["symbol"], btc["baseAsset"]["asset"], btc["quoteAsset"]["asset"]) == (
        "BTCUSDT",
        "BTC",
        "USDT",
    )
    assert Decimal(btc["quoteAsset"]["free"]) - quote_before == 40
    assert btc["quoteAsset"]["netAsset"] == btc["quoteAsset"]["free"] and btc["marginLevel"] == "999.00000000"
    every = _call(ex, "GET", "/sapi/v1/margin/isolated/account")[1]["assets"]
    held = sorted(w.removeprefix("ISOLATED:") for w in ex.balances() if w.startswith("ISOLATED:"))
    assert [a["symbol"] for a in every] == held and "BTCUSDT" in held
    assert _call(ex, "GET", "/sapi/v1/margin/isolated/account", symbols="A,B,C,D,E,F")[1]["code"] == -1130


def test_the_commission_rates_are_the_accounts_for_any_listed_symbol() -> None:
    ex = _exchange()
    rates = _call(ex, "GET", "/api/v3/account/commission", symbol="ETHBTC")[1]
    account = _call(ex, "GET", "/api/v3/account")[1]["commissionRates"]
    assert rates["symbol"] == "ETHBTC" and rates["standardCommission"] == account
    assert rates["taxCommission"]["maker"] == "0.00000000" and rates["discount"]["enabledForAccount"] is False
    assert _call(ex, "GET", "/api/v3/account/commission", symbol="NOPEUSDT")[1]["code"] == -1121
    assert _call(ex, "GET", "/api/v3/account/commission")[1]["code"] == -1102
