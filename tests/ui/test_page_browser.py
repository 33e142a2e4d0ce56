"""The page at /_mock/ui in a real browser: watching and steering the mock from it, end to end."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
import requests

if os.environ.get("BINANCE_MOCK_UI") != "required":
    pytest.importorskip("selenium")  # make test has no browser stack; make test-ui must

from selenium.common.exceptions import StaleElementReferenceException, TimeoutException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select, WebDriverWait

from mock_server import MockBinance
from mock_server.rules.signature import sign_hmac
from mock_server.state.accounts import DEMO_API_KEY, DEMO_SECRET

pytestmark = pytest.mark.ui
PATH = "/sapi/v1/margin/transfer"
FROZEN = 1_790_000_000_000


def signed_get(base_url: str, params: dict[str, Any]) -> requests.Response:
    query = urlencode({**params, "timestamp": int(time.time() * 1000)})
    url = f"{base_url}{PATH}?{query}&signature={sign_hmac(DEMO_SECRET, query.encode())}"
    return requests.get(url, headers={"X-MBX-APIKEY": DEMO_API_KEY}, timeout=10)


def wait_for(driver: Any, what: Callable[[], Any], timeout: float = 10) -> Any:
    # The page redraws its tables every second: an element read mid-redraw is asked again.
    wait = WebDriverWait(driver, timeout, 0.1, ignored_exceptions=(StaleElementReferenceException,))
    try:
        return wait.until(lambda _: what())
    except TimeoutException:
        # What the page says, so a timeout in CI tells why: its status and every error shown.
        shown = driver.execute_script(
            "return [document.getElementById('status').textContent,"
            " ...[...document.querySelectorAll('.error')].map((e) => e.id + ': ' + e.textContent)]"
        )
        raise TimeoutException(f"the page says {shown}") from None


def click(driver: Any, css: str) -> None:
    wait_for(driver, lambda: driver.find_element(By.CSS_SELECTOR, css).click() or True)


def severe(driver: Any) -> list[dict[str, Any]]:
    return [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]


def unlabelled(driver: Any) -> list[str]:
    """Controls of the live page (those the script made too) with no accessible label."""
    return driver.execute_script(
        """return [...document.querySelectorAll('input, select, button')].filter(c =>
             !c.getAttribute('aria-label') && !c.getAttribute('aria-labelledby') &&
             !(c.id && document.querySelector(`label[for="${c.id}"]`))).map(c => c.outerHTML);"""
    )


def journal_row(driver: Any, code: str) -> Any:
    for row in driver.find_elements(By.CSS_SELECTOR, "#journal-rows tr[data-id]"):
        cells = [c.text for c in row.find_elements(By.TAG_NAME, "td")]
        if cells[2] == PATH and cells[5] == code:
            return row, cells
    return None


def test_steer_the_mock_from_the_page(browser: Any, shots: Path) -> None:
    with MockBinance(seed=7) as mock:
        browser.get(f"{mock.base_url}/_mock/ui")
        wait_for(browser, lambda: browser.find_element(By.ID, "status").text == "live")
        wait_for(browser, lambda: browser.find_elements(By.CSS_SELECTOR, "#data svg.chart rect.bar"))

        # A -3020 rule from the form, then a signed call with a real client's signing.
        Select(browser.find_element(By.ID, "fault-kind")).select_by_value("error")
        Select(browser.find_element(By.ID, "fault-code")).select_by_value("-3020")
        browser.find_element(By.ID, "fault-add").click()
        rule_text = wait_for(browser, lambda: browser.find_element(By.CSS_SELECTOR, "#fault-rows tr").text)
        assert "-3020" in rule_text and "Transfer out amount exceeds max amount." in rule_text
        (rule,) = requests.get(f"{mock.base_url}/_mock/faults", timeout=5).json()["faults"]

        answer = signed_get(mock.base_url, {"asset": "USDT", "size": 3})
        assert answer.json()["code"] == -3020
        _, cells = wait_for(browser, lambda: journal_row(browser, "-3020"))
        assert cells[1] == "GET" and cells[4] == "400" and cells[6] == "fault"
        assert cells[7] == f"#{rule['id']}" and cells[8] == "exact"
        assert cells[3] == "vmPU...Eh8A"  # masked
        cells_of_rule = lambda: [c.text for c in browser.find_elements(By.CSS_SELECTOR, "#fault-rows td")]  # noqa: E731
        wait_for(browser, lambda: cells_of_rule()[4:6] == ["1", "0"])  # fired, remaining

        # The row opens on its parameters (signature redacted) and the body answered.
        wait_for(
            browser,
            lambda: (
                journal_row(browser, "-3020")[0].find_element(By.CSS_SELECTOR, "button.open").click() or True
            ),
        )
        detail_text = wait_for(
            browser,
            lambda: (
                browser.find_elements(By.CSS_SELECTOR, "tr.detail pre")
                and browser.find_element(By.CSS_SELECTOR, "tr.detail").text
            ),
        )
        assert '"code": -3020' in detail_text
        assert "<redacted>" in detail_text and "USDT" in detail_text
        browser.find_element(By.ID, "journal").screenshot(str(shots / "journal.png"))

        # Filters: by code, then a code no row has.
        browser.find_element(By.ID, "f-code").send_keys("-3020")
        wait_for(
            browser, lambda: len(browser.find_elements(By.CSS_SELECTOR, "#journal-rows tr[data-id]")) == 1
        )
        browser.find_element(By.ID, "f-code").send_keys("9")
        wait_for(browser, lambda: not browser.find_elements(By.CSS_SELECTOR, "#journal-rows tr[data-id]"))
        browser.find_element(By.ID, "f-code").clear()
        browser.execute_script("document.getElementById('f-code').dispatchEvent(new Event('input'))")

        # Freeze the clock from the page: /api/v3/time follows.
        at = browser.find_element(By.ID, "clock-at")

        def typed() -> bool:
            # The page fills the field with now while it is empty and unfocused (a clear blurs
            # it): type again until the field holds exactly what was typed.
            at.clear()
            at.send_keys(str(FROZEN))
            return at.get_attribute("value") == str(FROZEN)

        wait_for(browser, typed)
        browser.find_element(By.ID, "clock-freeze").click()
        wait_for(browser, lambda: browser.find_element(By.ID, "clock-mode").text == "frozen")
        assert requests.get(f"{mock.base_url}/api/v3/time", timeout=5).json() == {"serverTime": FROZEN}
        assert browser.find_element(By.ID, "now").text == "2026-09-21T14:13:20Z"
        browser.find_element(By.ID, "clock").screenshot(str(shots / "clock.png"))

        # Remove the rule: the next call succeeds.
        click(browser, f"#fault-rows button[aria-label='Remove rule {rule['id']}']")
        wait_for(browser, lambda: not browser.find_elements(By.CSS_SELECTOR, "#fault-rows tr"))
        assert signed_get(mock.base_url, {"asset": "USDT", "size": 3}).status_code == 200
        wait_for(browser, lambda: journal_row(browser, ""))

        # Another rule left in place for the picture, with a latency range and a parameter match.
        browser.find_element(By.ID, "fault-forever").click()
        browser.find_element(By.ID, "fault-params").send_keys("asset=BTC")
        browser.find_element(By.ID, "fault-delay").send_keys("50-200")
        Select(browser.find_element(By.ID, "fault-code")).select_by_value("-21003")
        browser.find_element(By.ID, "fault-add").click()
        wait_for(browser, lambda: browser.find_elements(By.CSS_SELECTOR, "#fault-rows tr"))
        browser.find_element(By.ID, "faults").screenshot(str(shots / "faults.png"))

        # The data panel: the frozen clock sits before the data, and the page says so.
        browser.find_element(By.ID, "data-refresh").click()
        browser.find_element(By.ID, "data").screenshot(str(shots / "data.png"))

        browser.find_element(By.ID, "clock-real").click()
        wait_for(browser, lambda: browser.find_element(By.ID, "clock-mode").text == "real")
        for asset in ("USDT", "ETH", "BNB"):
            assert signed_get(mock.base_url, {"asset": asset}).status_code == 200
        requests.get(f"{mock.base_url}/api/v3/time", timeout=5)
        wait_for(browser, lambda: len(browser.find_elements(By.CSS_SELECTOR, "#weight-rows tr")) >= 2)
        browser.find_element(By.ID, "data-refresh").click()
        time.sleep(0.5)
        browser.set_window_size(1400, 2500)  # the whole page, for docs/img/ui.png
        browser.execute_script("window.scrollTo(0, 0)")
        browser.save_screenshot(str(shots / "ui.png"))

        assert unlabelled(browser) == []
        assert severe(browser) == []


def test_bad_input_shows_the_mocks_own_message(browser: Any) -> None:
    with MockBinance(seed=7) as mock:
        browser.get(f"{mock.base_url}/_mock/ui")
        wait_for(browser, lambda: browser.find_element(By.ID, "status").text == "live")
        browser.find_element(By.ID, "fault-times").clear()
        browser.find_element(By.ID, "fault-times").send_keys("0")
        browser.find_element(By.ID, "fault-add").click()
        error = wait_for(browser, lambda: browser.find_element(By.ID, "fault-error").text)
        assert "'times' must be between 1" in error
        browser.find_element(By.ID, "clock-offset").send_keys("soon")
        browser.find_element(By.ID, "clock-shift").click()
        assert "'soon' is not a span" in wait_for(
            browser, lambda: browser.find_element(By.ID, "clock-error").text
        )
        # A refused control call is an answer the page shows, not a console error...
        entries = severe(browser)
        assert all("400" in e["message"] for e in entries), entries
        assert mock.exchange.fault_rules() == []


def test_admin_token_is_asked_once(browser: Any, token_server: Any) -> None:
    server = token_server
    browser.get(f"{server.base_url}/_mock/ui")
    form = wait_for(browser, lambda: browser.find_element(By.ID, "token-form"))
    wait_for(browser, form.is_displayed)
    assert not browser.find_element(By.ID, "panels").is_displayed()

    browser.find_element(By.ID, "token").send_keys("wrong")
    browser.find_element(By.ID, "token-use").click()
    assert "refused" in wait_for(browser, lambda: browser.find_element(By.ID, "token-error").text)

    browser.find_element(By.ID, "token").send_keys("s3cret-token")
    browser.find_element(By.ID, "token-use").click()
    wait_for(browser, lambda: browser.find_element(By.ID, "status").text == "live")
    assert not form.is_displayed()
    browser.refresh()  # the tab keeps the token: no second question
    wait_for(browser, lambda: browser.find_element(By.ID, "status").text == "live")
    assert not browser.find_element(By.ID, "token-form").is_displayed()
    # The only errors: the refused wrong token.
    entries = severe(browser)
    assert entries and all("401" in e["message"] for e in entries), entries


def test_the_header_shows_the_cassette_while_recording(browser: Any, tmp_path: Path) -> None:
    cassette = tmp_path / "app.cassette.json"
    with (
        MockBinance(seed=7) as upstream,
        MockBinance(cassette=str(cassette), record_mode="new", upstream=upstream.base_url) as proxy,
    ):
        browser.get(f"{proxy.base_url}/_mock/ui")
        info = lambda: browser.find_element(By.ID, "cassette-info").text  # noqa: E731
        wait_for(browser, lambda: info().endswith("match params, 0 recordings"))
        assert info() == f"{cassette}: recording (new) from {upstream.base_url}, match params, 0 recordings"
        assert signed_get(proxy.base_url, {"asset": "BTC", "size": 5}).status_code == 200
        wait_for(browser, lambda: info().endswith(", 1 recording"))
        assert wait_for(browser, lambda: journal_row(browser, ""))[1][6] == "upstream"
        assert severe(browser) == []


def test_a_click_anywhere_on_a_journal_row_opens_it(browser: Any) -> None:
    with MockBinance(seed=7) as mock:
        browser.get(f"{mock.base_url}/_mock/ui")
        wait_for(browser, lambda: browser.find_element(By.ID, "status").text == "live")
        mock.inject(-3020)
        assert signed_get(mock.base_url, {"asset": "USDT", "size": 3}).json()["code"] == -3020
        row, _ = wait_for(browser, lambda: journal_row(browser, "-3020"))

        # The path cell, not the time: the whole row is the target a user aims at.
        row.find_elements(By.TAG_NAME, "td")[2].click()
        detail = wait_for(
            browser,
            lambda: (
                browser.find_elements(By.CSS_SELECTOR, "tr.detail pre")
                and browser.find_element(By.CSS_SELECTOR, "tr.detail").text
            ),
        )
        assert '"code": -3020' in detail and "<redacted>" in detail
        assert row.find_element(By.CSS_SELECTOR, "button.open").get_attribute("aria-expanded") == "true"

        # A click on the detail itself leaves it open (its text is there to be read and copied)...
        browser.find_element(By.CSS_SELECTOR, "tr.detail pre").click()
        assert browser.find_elements(By.CSS_SELECTOR, "tr.detail")
        # ...and another click on the row, on its status this time, closes it.
        row.find_elements(By.TAG_NAME, "td")[4].click()
        wait_for(browser, lambda: not browser.find_elements(By.CSS_SELECTOR, "tr.detail"))
        assert row.find_element(By.CSS_SELECTOR, "button.open").get_attribute("aria-expanded") == "false"

        # The time stays a button, so the keyboard opens a row as before.
        row.find_element(By.CSS_SELECTOR, "button.open").send_keys(Keys.ENTER)
        wait_for(browser, lambda: browser.find_elements(By.CSS_SELECTOR, "tr.detail pre"))
        assert severe(browser) == []


def test_an_error_clears_on_the_next_successful_action(browser: Any) -> None:
    with MockBinance(seed=7) as mock:
        browser.get(f"{mock.base_url}/_mock/ui")
        wait_for(browser, lambda: browser.find_element(By.ID, "status").text == "live")
        fault_error = lambda: browser.find_element(By.ID, "fault-error").text  # noqa: E731
        clock_error = lambda: browser.find_element(By.ID, "clock-error").text  # noqa: E731

        # A refused rule, then a successful action in another panel: the stale message goes.
        browser.find_element(By.ID, "fault-times").clear()
        browser.find_element(By.ID, "fault-times").send_keys("0")
        browser.find_element(By.ID, "fault-add").click()
        assert "'times' must be between 1" in wait_for(browser, fault_error)
        pacing = browser.find_element(By.ID, "pacing-ms")
        pacing.clear()
        pacing.send_keys("250")
        browser.find_element(By.ID, "pacing-set").click()
        wait_for(browser, lambda: mock.exchange.min_interval_ms == 250)
        wait_for(browser, lambda: fault_error() == "")

        # A span the page cannot read, then a rule added: the clock's message goes too.
        browser.find_element(By.ID, "clock-offset").send_keys("soon")
        browser.find_element(By.ID, "clock-shift").click()
        assert "'soon' is not a span" in wait_for(browser, clock_error)
        browser.find_element(By.ID, "fault-times").clear()
        browser.find_element(By.ID, "fault-times").send_keys("1")
        browser.find_element(By.ID, "fault-add").click()
        wait_for(browser, lambda: browser.find_elements(By.CSS_SELECTOR, "#fault-rows tr"))
        wait_for(browser, lambda: clock_error() == "")
        assert browser.find_element(By.ID, "status").text == "live"


def test_steer_a_price_from_the_market_panel(browser: Any, shots: Path) -> None:
    with MockBinance(seed=7, rows=20) as mock:
        mock.freeze_clock(FROZEN)
        browser.get(f"{mock.base_url}/_mock/ui")
        wait_for(browser, lambda: browser.find_element(By.ID, "status").text == "live")
        wait_for(browser, lambda: browser.find_elements(By.CSS_SELECTOR, "#market-chart svg"))
        Select(browser.find_element(By.ID, "market-symbol")).select_by_value("ETHUSDT")
        browser.find_element(By.ID, "market-price").send_keys("3000.01")
        browser.find_element(By.ID, "market-over").send_keys("5m")
        browser.find_element(By.ID, "market-steer").click()
        wait_for(browser, lambda: "1 point ahead" in browser.find_element(By.ID, "market-now").text)
        assert browser.find_elements(By.CSS_SELECTOR, "#market-chart svg polyline.ahead")
        mock.advance_clock(300_000)
        wait_for(
            browser,
            lambda: "ETHUSDT 3000.01000000 (steered)" in browser.find_element(By.ID, "market-now").text,
        )
        row = wait_for(
            browser,
            lambda: [
                r
                for r in browser.find_elements(By.CSS_SELECTOR, "#market-rows tr.steered")
                if "ETHUSDT" in r.text
            ],
        )
        assert "3000.01000000" in row[0].text
        browser.save_screenshot(str(shots / "market.png"))
        # A price finer than the tick is the mock's own message, and changes nothing.
        browser.find_element(By.ID, "market-price").clear()
        browser.find_element(By.ID, "market-price").send_keys("1.001")
        browser.find_element(By.ID, "market-over").clear()
        browser.find_element(By.ID, "market-steer").click()
        assert "finer than ETHUSDT's tick size" in wait_for(
            browser, lambda: browser.find_element(By.ID, "market-error").text
        )
        browser.find_element(By.ID, "market-release").click()
        wait_for(browser, lambda: not any(p["steered"] for p in mock.prices()))
        assert unlabelled(browser) == []
        assert all("400" in e["message"] for e in severe(browser))


def wallet_cells(driver: Any, wallet: str, asset: str) -> list[str] | None:
    rows = driver.find_elements(
        By.CSS_SELECTOR, f"#wallet-tables table[data-wallet='{wallet}'] tr[data-asset='{asset}']"
    )
    return [c.text for c in rows[0].find_elements(By.TAG_NAME, "td")] if rows else None


def test_set_a_balance_from_the_wallets_panel(browser: Any, shots: Path) -> None:
    with MockBinance(seed=7, rows=300) as mock:
        browser.get(f"{mock.base_url}/_mock/ui")
        wait_for(browser, lambda: browser.find_element(By.ID, "status").text == "live")
        wait_for(
            browser,
            lambda: browser.find_elements(By.CSS_SELECTOR, "#wallet-tables table[data-wallet='SPOT']"),
        )
        # The account by its mask: the page never holds the full key.
        assert (
            Select(browser.find_element(By.ID, "wallet-account")).first_selected_option.text == "vmPU...Eh8A"
        )
        assert wallet_cells(browser, "SPOT", "USDT")[1] == mock.balances()["SPOT"]["USDT"]["free"]
        shown = [
            t.get_attribute("data-wallet")
            for t in browser.find_elements(By.CSS_SELECTOR, "#wallet-tables table")
        ]
        assert shown[:3] == ["SPOT", "MARGIN", "FUNDING"] or shown[:2] == ["SPOT", "MARGIN"], shown

        # A balance set from the form is in the table and in the mock.
        Select(browser.find_element(By.ID, "wallet-name")).select_by_value("FUNDING")
        browser.find_element(By.ID, "wallet-asset").send_keys("bnb")
        browser.find_element(By.ID, "wallet-free").send_keys("12.5")
        browser.find_element(By.ID, "wallet-set").click()
        cells = wait_for(browser, lambda: wallet_cells(browser, "FUNDING", "BNB"))
        assert cells == ["BNB", "12.50000000", "0.00000000", "0.00000000", "0.00000000"]
        assert mock.balances()["FUNDING"]["BNB"]["free"] == "12.50000000"

        # A change made elsewhere shows at the next poll.
        mock.set_balance("ETH", "3", wallet="MARGIN")
        wait_for(browser, lambda: (wallet_cells(browser, "MARGIN", "ETH") or [""])[1:2] == ["3.00000000"])
        panel = browser.find_element(By.ID, "wallets")
        browser.execute_script("arguments[0].scrollIntoView()", panel)
        panel.screenshot(str(shots / "wallets.png"))

        # A bad amount is the mock's own message, and changes nothing.
        before = mock.balances()
        free = browser.find_element(By.ID, "wallet-free")
        free.clear()
        free.send_keys("-1")
        browser.find_element(By.ID, "wallet-set").click()
        error = wait_for(browser, lambda: browser.find_element(By.ID, "wallet-error").text)
        assert "free must be a non-negative decimal" in error
        assert mock.balances() == before

        # Zero everywhere: the row goes.
        free.clear()
        free.send_keys("0")
        browser.find_element(By.ID, "wallet-set").click()
        wait_for(browser, lambda: wallet_cells(browser, "FUNDING", "BNB") is None)
        assert browser.find_element(By.ID, "wallet-error").text == ""
        assert mock.balances()["FUNDING"]["BNB"]["free"] == "0.00000000"

        assert DEMO_API_KEY not in browser.page_source
        assert unlabelled(browser) == []
        assert all("400" in e["message"] for e in severe(browser)), severe(browser)


def test_a_mask_two_accounts_share_is_the_panels_message(browser: Any, tmp_path: Path) -> None:
    twins = ["abcd" + c * 56 + "wxyz" for c in "12"]
    keys = tmp_path / "keys.json"
    keys.write_text(json.dumps({"accounts": [{"apiKey": k, "secret": "s" * 64} for k in twins]}))
    with MockBinance(seed=7, rows=20, keys_path=str(keys)) as mock:
        browser.get(f"{mock.base_url}/_mock/ui")
        summary = lambda: browser.find_element(By.ID, "wallet-summary").text  # noqa: E731
        assert "is the masked key of 2 accounts" in wait_for(browser, summary)
        # The page is not "unreachable": the poll that drew the message ends with "live".
        wait_for(browser, lambda: browser.find_element(By.ID, "status").text == "live")
        options = [o.text for o in Select(browser.find_element(By.ID, "wallet-account")).options]
        assert options == [f"abcd...wxyz (account {i}; another has the same mask)" for i in (1, 2)]
        assert all(k not in browser.page_source for k in twins)
        assert all("404" in e["message"] for e in severe(browser)), severe(browser)


def signed_post(base_url: str, path: str, params: dict[str, Any]) -> requests.Response:
    body = urlencode({**params, "timestamp": int(time.time() * 1000)})
    return requests.post(
        f"{base_url}{path}",
        data=f"{body}&signature={sign_hmac(DEMO_SECRET, body.encode())}",
        headers={"X-MBX-APIKEY": DEMO_API_KEY, "Content-Type": "application/x-www-form-urlencoded"},
        timeout=10,
    )


def test_the_orders_panel_shows_open_orders_and_trades_as_they_happen(browser: Any, shots: Path) -> None:
    with MockBinance(seed=7, rows=0) as mock:
        mock.set_balance("USDT", "50000")
        browser.get(f"{mock.base_url}/_mock/ui")
        wait_for(browser, lambda: browser.find_element(By.ID, "status").text == "live")
        wait_for(browser, lambda: "no open order" in browser.find_element(By.ID, "open-order-rows").text)
        order = {"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", "timeInForce": "GTC", "quantity": "0.01",
                 "price": "60000"}  # fmt: skip
        resting = signed_post(mock.base_url, "/api/v3/order", order).json()
        row = wait_for(
            browser,
            lambda: browser.find_elements(
                By.CSS_SELECTOR, f"#open-order-rows tr[data-order='{resting['orderId']}']"
            ),
        )
        cells = [c.text for c in row[0].find_elements(By.TAG_NAME, "td")]
        assert cells[1:8] == ["SPOT", "BTCUSDT", "BUY", "LIMIT", "60000.00000000", "0.00000000", "0.01000000"]
        # The market trades through it: it leaves the open orders and shows as a maker trade.
        mock.set_price("BTCUSDT", "59000")
        wait_for(browser, lambda: "no open order" in browser.find_element(By.ID, "open-order-rows").text)
        trade = wait_for(
            browser, lambda: browser.find_elements(By.CSS_SELECTOR, "#trade-rows tr[data-trade]")
        )
        cells = [c.text for c in trade[0].find_elements(By.TAG_NAME, "td")]
        assert cells[2:] == ["BTCUSDT", "BUY", "60000.00000000", "0.01000000", "0.00001000 BTC", "maker",
                             str(resting["orderId"])]  # fmt: skip
        assert mock.trades()[0]["time"] == mock.orders()[0]["updateTime"]
        panel = browser.find_element(By.ID, "orders")
        browser.execute_script("arguments[0].scrollIntoView()", panel)
        panel.screenshot(str(shots / "orders.png"))


def test_the_streams_panel_lists_connections_adds_a_fault_and_drops_them(browser: Any, shots: Path) -> None:
    from websockets.exceptions import ConnectionClosed
    from websockets.sync.client import connect

    with MockBinance(seed=7, rows=0) as mock, connect(mock.stream_url + "/ws/btcusdt@trade") as ws:
        browser.get(f"{mock.base_url}/_mock/ui")
        wait_for(browser, lambda: browser.find_element(By.ID, "status").text == "live")
        row = wait_for(browser, lambda: browser.find_elements(By.CSS_SELECTOR, "#connection-rows tr"))
        assert "btcusdt@trade" in row[0].text and "streams" in row[0].text
        Select(browser.find_element(By.ID, "stream-fault-kind")).select_by_value("gap")
        browser.find_element(By.ID, "stream-fault-stream").send_keys("btcusdt@depth@100ms")
        browser.find_element(By.ID, "stream-fault-times").send_keys("3")
        click(browser, "#stream-fault-add")
        wait_for(browser, lambda: browser.find_elements(By.CSS_SELECTOR, "#stream-fault-rows tr"))
        assert [(r["kind"], r["match"], r["times"]) for r in mock.stream_faults()] == [
            ("gap", {"stream": "btcusdt@depth@100ms"}, 3)
        ]
        browser.find_element(By.ID, "stream-fault-stream").send_keys("s")  # a name that is no stream
        click(browser, "#stream-fault-add")
        wait_for(browser, lambda: "is no stream name" in browser.find_element(By.ID, "streams-error").text)
        panel = browser.find_element(By.ID, "streams")
        browser.execute_script("arguments[0].scrollIntoView()", panel)
        panel.screenshot(str(shots / "streams.png"))
        click(browser, "#streams-drop")
        with pytest.raises(ConnectionClosed):
            for _ in range(100):
                ws.recv(timeout=5)
        wait_for(browser, lambda: browser.find_element(By.ID, "streams-count").text == "0 open")
        entries = severe(browser)  # the refused fault's 400, shown on the page, and nothing else
        assert all("/_mock/streams/faults" in e["message"] and "400" in e["message"] for e in entries), (
            entries
        )
