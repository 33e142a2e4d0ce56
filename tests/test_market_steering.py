"""Steering the market: a set price is there at once and the path goes on from it; a move passes
through its points; the past never changes; a reset, a release and the clock behave."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import requests
from helpers import NOW, market_exchange, market_json
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from mock_server import MockBinance
from mock_server.exchange import Exchange, Settings
from mock_server.http.app import create_app
from mock_server.injection.scenario import load_scenario
from mock_server.state.clock import Clock

MINUTE = 60_000
HOUR = 60 * MINUTE
DAY = 24 * HOUR
M0 = NOW // MINUTE * MINUTE + MINUTE  # a minute's start


def _price(ex: Exchange, symbol: str = "BTCUSDT") -> Decimal:
    return Decimal(market_json(ex, "/api/v3/ticker/price", symbol=symbol)["price"])


def _agree(ex: Exchange, symbol: str) -> Decimal:
    """The ticker, the last trade, the last 1m close and the book's top all say one price."""
    price = market_json(ex, "/api/v3/ticker/price", symbol=symbol)["price"]
    (trade,) = market_json(ex, "/api/v3/trades", symbol=symbol, limit=1)
    kline = market_json(ex, "/api/v3/klines", symbol=symbol, interval="1m", limit=1)[-1]
    top = market_json(ex, "/api/v3/ticker/bookTicker", symbol=symbol)
    day = market_json(ex, "/api/v3/ticker/24hr", symbol=symbol)
    assert price == trade["price"] == kline[4] == day["lastPrice"]
    assert Decimal(top["bidPrice"]) <= Decimal(price) < Decimal(top["askPrice"])
    assert Decimal(day["lowPrice"]) <= Decimal(price) <= Decimal(day["highPrice"])
    return Decimal(price)


def _minute_is_its_trades(ex: Exchange, symbol: str, open_ms: int) -> None:
    (kline,) = market_json(ex, "/api/v3/klines", symbol=symbol, interval="1m", startTime=open_ms, limit=1)
    trades = market_json(
        ex, "/api/v3/aggTrades", symbol=symbol, startTime=open_ms, endTime=open_ms + MINUTE - 1
    )
    prices = [Decimal(t["p"]) for t in trades]
    assert len(trades) == kline[8]
    assert [t["a"] for t in trades] == list(range(trades[0]["a"], trades[0]["a"] + len(trades)))
    assert [t["T"] for t in trades] == sorted(t["T"] for t in trades)
    assert (Decimal(kline[1]), Decimal(kline[4])) == (prices[0], prices[-1])
    assert (Decimal(kline[2]), Decimal(kline[3])) == (max(prices), min(prices))
    assert Decimal(kline[5]) == sum(Decimal(t["q"]) for t in trades)


def test_a_set_price_is_every_price_at_once_and_the_past_stays() -> None:
    ex = market_exchange(NOW + 20_500)
    before = market_json(ex, "/api/v3/aggTrades", symbol="BTCUSDT", limit=1000)
    closed = market_json(ex, "/api/v3/klines", symbol="BTCUSDT", interval="1m", limit=500)[:-1]
    entry = ex.set_price("BTCUSDT", "61000.5")
    assert entry == {"symbol": "BTCUSDT", "price": "61000.50000000", "steered": True}
    assert _agree(ex, "BTCUSDT") == Decimal("61000.5")
    after = market_json(ex, "/api/v3/aggTrades", symbol="BTCUSDT", limit=1000)
    assert after[:-1] == before[1:] and after[-1]["T"] == ex.now_ms() and after[-1]["p"] == "61000.50000000"
    assert market_json(ex, "/api/v3/klines", symbol="BTCUSDT", interval="1m", limit=500)[:-1] == closed
    ex.advance_clock(MINUTE)
    _minute_is_its_trades(ex, "BTCUSDT", NOW // MINUTE * MINUTE)  # the minute the price was set in
    # The seeded moves go on from the set price: an hour on it is near it, not back near 95,000.
    ex.advance_clock(HOUR)
    assert abs(_agree(ex, "BTCUSDT") / Decimal("61000.5") - 1) < Decimal("0.05")
    assert _price(ex, "ETHUSDT") == _price(
        market_exchange(ex.now_ms()), "ETHUSDT"
    )  # other symbols keep theirs


def test_a_move_passes_through_its_points_linearly_then_the_seeded_moves_resume() -> None:
    ex = market_exchange(M0)
    start = _price(ex)
    ex.steer(
        "BTCUSDT",
        {"path": [{"in_ms": 5 * MINUTE, "price": "85000"}, {"in_ms": 10 * MINUTE, "price": "90000"}]},
    )
    assert _price(ex) == start  # a move starts where the price is
    ex.advance_clock(11 * MINUTE)
    klines = market_json(ex, "/api/v3/klines", symbol="BTCUSDT", interval="1m", startTime=M0, limit=10)
    closes = [Decimal(k[4]) for k in klines]  # each at the line's value at the minute's end
    line = [start + (Decimal(85000) - start) * i / 5 for i in range(1, 6)]
    line += [Decimal(85000) + Decimal(5000) * i / 5 for i in range(1, 6)]
    assert [round(c) for c in closes[:10]] == [round(v) for v in line]
    assert closes[4] == Decimal(85000) and closes[9] == Decimal(90000)
    ex.advance_clock(HOUR)
    assert abs(_agree(ex, "BTCUSDT") / Decimal(90000) - 1) < Decimal("0.05")
    assert ex.price_entry("BTCUSDT")["steered"] is True


def test_a_frozen_clock_holds_a_move() -> None:
    ex = market_exchange(NOW + 30_000)
    start = _price(ex)
    ex.move_price("BTCUSDT", "50000", 5 * MINUTE)
    assert _price(ex) == start
    assert ex.price_entry("BTCUSDT", 1)["points"] == [
        {"at_ms": NOW + 30_000 + 5 * MINUTE, "price": "50000.00000000"}
    ]
    ex.advance_clock(5 * MINUTE + 30_000)
    assert _price(ex) == Decimal(50000)
    assert ex.price_entry("BTCUSDT", 1)["points"] == []


def test_a_release_returns_to_the_seeded_path_from_then_on() -> None:
    ex = market_exchange(NOW)
    ex.set_price("BTCUSDT", "50000")
    ex.advance_clock(HOUR)
    steered_hour = market_json(ex, "/api/v3/klines", symbol="BTCUSDT", interval="1m", limit=60)[:-1]  # closed
    assert ex.release_price("BTCUSDT")["steered"] is False
    ex.advance_clock(HOUR)
    seeded = market_exchange(ex.now_ms())
    assert _price(ex) == _price(seeded)
    assert market_json(ex, "/api/v3/klines", symbol="BTCUSDT", interval="1m", limit=120)[:59] == steered_hour


def test_klines_read_before_a_steer_in_the_past_are_not_served_stale() -> None:
    """Daily sums are remembered; a steer made after moving the clock back must not meet them."""
    ex = market_exchange(NOW + 3 * DAY)
    days = market_json(ex, "/api/v3/klines", symbol="BTCUSDT", interval="1d", limit=5)
    ex.set_clock({"now_ms": NOW + 12 * HOUR})
    ex.set_price("BTCUSDT", "40000")
    ex.set_clock({"now_ms": NOW + 3 * DAY})
    again = market_json(ex, "/api/v3/klines", symbol="BTCUSDT", interval="1d", limit=5)
    day = (NOW + 12 * HOUR) // DAY * DAY
    changed = [a[0] for a, b in zip(again, days, strict=True) if a != b]
    assert changed == [k[0] for k in days if k[0] >= day] and len(changed) >= 3
    (steered_day,) = [k for k in again if k[0] == day]
    assert Decimal(steered_day[3]) <= Decimal(40000) and Decimal(steered_day[2]) > Decimal(80000)


def test_the_clock_moved_back_then_a_new_steer_drops_the_later_one() -> None:
    ex = market_exchange(NOW + HOUR)
    ex.set_price("BTCUSDT", "40000")
    ex.set_clock({"now_ms": NOW})
    assert ex.price_entry("BTCUSDT")["steered"] is False  # the steer is in the future here
    ex.set_price("BTCUSDT", "70000")
    ex.set_clock({"now_ms": NOW + 2 * HOUR})
    assert abs(_price(ex) / Decimal(70000) - 1) < Decimal("0.05")


def test_the_same_steering_gives_the_same_bytes_and_a_reset_forgets_it() -> None:
    a, b = market_exchange(NOW), market_exchange(NOW)
    for ex in (a, b):
        ex.set_price("ETHBTC", "0.04")
        ex.advance_clock(10 * MINUTE)
        ex.move_price("ETHBTC", "0.03", 10 * MINUTE)
        ex.advance_clock(20 * MINUTE)
    pages = [market_json(ex, "/api/v3/klines", symbol="ETHBTC", interval="1m", limit=40) for ex in (a, b)]
    assert pages[0] == pages[1]
    a.reset()
    a.set_clock({"now_ms": NOW + 30 * MINUTE})
    assert market_json(a, "/api/v3/klines", symbol="ETHBTC", interval="1m", limit=40) == market_json(
        market_exchange(NOW + 30 * MINUTE), "/api/v3/klines", symbol="ETHBTC", interval="1m", limit=40
    )


def test_two_steers_in_one_minute_keep_every_trade_id_in_order() -> None:
    ex = market_exchange(M0 + 10_000)
    ex.set_price("BTCUSDT", "60000")
    ex.advance_clock(5_000)
    ex.set_price("BTCUSDT", "61000")
    ex.advance_clock(5_000)
    ex.move_price("BTCUSDT", "62000", 20_000)
    ex.advance_clock(MINUTE)
    _minute_is_its_trades(ex, "BTCUSDT", M0)
    (kline,) = market_json(ex, "/api/v3/klines", symbol="BTCUSDT", interval="1m", startTime=M0, limit=1)
    assert Decimal(kline[4]) == Decimal(62000)


@pytest.fixture()
def control() -> TestClient:
    clock = Clock()
    clock.freeze(NOW)
    ex = Exchange(Settings(anchor_ms=NOW, rows=20), clock=clock)
    return TestClient(create_app(exchange=ex))


def test_the_control_api_lists_steers_and_releases(control: TestClient) -> None:
    listed = control.get("/_mock/market").json()["symbols"]
    assert {e["symbol"] for e in listed} >= {"BTCUSDT", "ETHUSDT", "ETHBTC"}
    assert all(set(e) == {"symbol", "price", "steered"} and not e["steered"] for e in listed)
    put = control.put("/_mock/market/btcusdt", json={"price": "61000.5"})
    assert put.status_code == 200 and put.json() == {
        "symbol": "BTCUSDT",
        "price": "61000.50000000",
        "steered": True,
    }
    assert (
        control.get("/api/v3/ticker/price", params={"symbol": "BTCUSDT"}).json()["price"] == "61000.50000000"
    )
    one = control.get("/_mock/market/BTCUSDT", params={"minutes": 3}).json()
    assert [c[0] for c in one["closes"]] == [M0 - 3 * MINUTE, M0 - 2 * MINUTE, M0 - MINUTE]
    assert one["closes"][-1][1] == "61000.50000000" and one["points"] == [] and one["now_ms"] == NOW
    assert control.delete("/_mock/market/BTCUSDT").json()["steered"] is False
    control.put("/_mock/market/BTCUSDT", json={"price": "1"})
    control.post("/_mock/reset")
    assert not any(e["steered"] for e in control.get("/_mock/market").json()["symbols"])


@pytest.mark.parametrize(
    ("path", "body", "status", "words"),
    [
        ("/_mock/market/NOPE", {"price": "1"}, 404, "no symbol 'NOPE'"),
        ("/_mock/market/BTCUSDT", {"price": "61000.555"}, 400, "finer than BTCUSDT's tick size 0.01"),
        ("/_mock/market/BTCUSDT", {"price": "0"}, 400, "above 0"),
        ("/_mock/market/BTCUSDT", {"price": "2000000"}, 400, "maxPrice"),
        ("/_mock/market/BTCUSDT", {"price": "abc"}, 400, "decimal string"),
        ("/_mock/market/BTCUSDT", {"prize": "1"}, 400, "got ['prize']"),
        ("/_mock/market/BTCUSDT", {"price": "1", "path": []}, 400, "steering takes"),
        ("/_mock/market/BTCUSDT", {"path": []}, 400, "1 to 1000 points"),
        ("/_mock/market/BTCUSDT", {"path": [{"in_ms": 0, "price": "1"}]}, 400, "path[0].in_ms"),
        (
            "/_mock/market/BTCUSDT",
            {"path": [{"in_ms": 9, "price": "1"}, {"in_ms": 9, "price": "2"}]},
            400,
            "path[1].in_ms must be later",
        ),
        (
            "/_mock/market/BTCUSDT",
            {"path": [{"in_ms": 9, "price": "1.001"}]},
            400,
            "path[0].price 1.001 is finer",
        ),
        ("/_mock/market/BTCUSDT", {"path": [{"in": 9, "price": "1"}]}, 400, "path[0] must be"),
    ],
)
def test_a_bad_steer_is_refused_naming_what_is_wrong_and_changes_nothing(
    control: TestClient, path: str, body: Any, status: int, words: str
) -> None:
    before = control.get("/api/v3/ticker/price", params={"symbol": "BTCUSDT"}).json()
    answer = control.put(path, json=body)
    assert answer.status_code == status and words in answer.json()["error"], answer.json()
    assert control.get("/api/v3/ticker/price", params={"symbol": "BTCUSDT"}).json() == before
    assert not any(e["steered"] for e in control.get("/_mock/market").json()["symbols"])


def test_the_chart_window_is_checked(control: TestClient) -> None:
    answer = control.get("/_mock/market/BTCUSDT", params={"minutes": "0"})
    assert answer.status_code == 400 and "minutes must be an integer from 1 to 1440" in answer.json()["error"]


def test_a_scenario_steers_the_market_at_start(tmp_path: Path) -> None:
    path = tmp_path / "drop.json"
    path.write_text(
        json.dumps(
            {
                "clock": {"now_ms": NOW},
                "market": {
                    "BTCUSDT": {"price": "60000"},
                    "ETHUSDT": {"path": [{"in_ms": 300000, "price": "3000"}]},
                },
            }
        )
    )
    ex = Exchange(Settings(anchor_ms=NOW, rows=20, scenario=load_scenario(path)))
    assert _price(ex) == Decimal(60000)
    ex.advance_clock(300_000)
    assert _price(ex, "ETHUSDT") == Decimal(3000)
    ex.reset()  # the scenario is the state at start
    assert _price(ex) == Decimal(60000) and ex.now_ms() == NOW


@pytest.mark.parametrize(
    ("market", "words"),
    [
        ({"BTCUSDT": {"price": "x"}}, "market.BTCUSDT: price must be a decimal string"),
        ({"NOPE": {"price": "1"}}, "market.NOPE: no symbol 'NOPE'"),
        ([{"symbol": "BTCUSDT"}], "market must be an object of symbols"),
    ],
)
def test_a_bad_market_section_stops_the_start_naming_the_file(
    tmp_path: Path, market: Any, words: str
) -> None:
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"market": market}))
    with pytest.raises(ValueError, match=r"bad\.json") as caught:
        Exchange(Settings(anchor_ms=NOW, rows=20, scenario=load_scenario(path)))
    assert words in str(caught.value)


def test_mock_binance_steers_a_client_over_http() -> None:
    with MockBinance(rows=20) as mock:
        mock.freeze_clock(NOW)
        mock.move_price("BNBUSDT", "500", 120_000)
        mock.advance_clock(120_000)
        got = requests.get(
            f"{mock.base_url}/api/v3/ticker/price", params={"symbol": "BNBUSDT"}, timeout=10
        ).json()
        assert got == {"symbol": "BNBUSDT", "price": "500.00000000"}
        assert [p for p in mock.prices() if p["steered"]] == [
            {"symbol": "BNBUSDT", "price": "500.00000000", "steered": True}
        ]
        with pytest.raises(ValueError, match="finer than BNBUSDT's tick size"):
            mock.set_price("BNBUSDT", "500.001")
        mock.release_price("BNBUSDT")
        assert not any(p["steered"] for p in mock.prices())


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(
            st.integers(0, 3 * MINUTE),  # mock time passing first
            st.sampled_from(["set", "move", "path", "release"]),
            st.integers(-900, 3_000),  # tenths of a percent from the price now
            st.integers(1, 4 * MINUTE),  # a move's length
        ),
        min_size=1,
        max_size=6,
    )
)
def test_any_steering_keeps_the_past_and_every_minute_its_trades(
    steps: list[tuple[int, str, int, int]],
) -> None:
    ex = market_exchange(M0 + 7_000)
    for wait, kind, permille, span in steps:
        ex.advance_clock(wait)
        window = {"startTime": ex.now_ms() - 5 * MINUTE, "endTime": ex.now_ms(), "limit": 1000}
        seen = market_json(ex, "/api/v3/aggTrades", symbol="ETHBTC", **window)
        klines = market_json(ex, "/api/v3/klines", symbol="ETHBTC", interval="1m", limit=30)[:-1]
        target = str((_price(ex, "ETHBTC") * (1000 + permille) / 1000).quantize(Decimal("0.00001")))
        if kind == "set":
            ex.set_price("ETHBTC", target)
        elif kind == "move":
            ex.move_price("ETHBTC", target, span)
        elif kind == "path":
            ex.steer(
                "ETHBTC", {"path": [{"in_ms": span, "price": target}, {"in_ms": 2 * span, "price": "0.03"}]}
            )
        else:
            ex.release_price("ETHBTC")
        assert market_json(ex, "/api/v3/aggTrades", symbol="ETHBTC", **window)[: len(seen)] == seen
        assert market_json(ex, "/api/v3/klines", symbol="ETHBTC", interval="1m", limit=30)[:-1] == klines
    ex.advance_clock(10 * MINUTE)
    _agree(ex, "ETHBTC")
    for minute in range(M0 - MINUTE, ex.now_ms() - MINUTE, MINUTE):
        _minute_is_its_trades(ex, "ETHBTC", minute)
