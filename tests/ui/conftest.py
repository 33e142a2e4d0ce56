"""Headless chromium for the page's tests (make test-ui).

Debian's chromium and chromedriver, never a downloaded one: selenium is pointed at
/usr/bin/chromedriver. Without them these tests skip, unless BINANCE_MOCK_UI=required (as
make test-ui sets), where a missing browser is a failure, not a silent pass.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from mock_server.exchange import Exchange, Settings
from mock_server.http.app import create_app
from mock_server.http.server import server_config

pytestmark = pytest.mark.ui
CHROMEDRIVER = "/usr/bin/chromedriver"
SHOTS = Path(__file__).resolve().parents[2] / "build" / "ui-screenshots"


def _unavailable(reason: str) -> None:
    if os.environ.get("BINANCE_MOCK_UI") == "required":
        pytest.fail(f"{reason} (make test-ui installs chromium and chromium-driver)")
    pytest.skip(reason)


@pytest.fixture
def browser() -> Iterator[Any]:
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        _unavailable("selenium is not installed (pip install -e '.[ui]')")
    if not Path(CHROMEDRIVER).exists() or shutil.which("chromium") is None:
        _unavailable(f"no {CHROMEDRIVER} or chromium")
    options = webdriver.ChromeOptions()
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1400,1100"):
        options.add_argument(arg)
    options.binary_location = shutil.which("chromium") or ""
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.implicitly_wait(0)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture
def shots() -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    return SHOTS


class TokenServer:
    """A mock served with --admin-token's rule (MockBinance has no token: it is for tests)."""

    def __init__(self, token: str) -> None:
        self.exchange = Exchange(Settings(rows=500))
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.server = uvicorn.Server(server_config(create_app(exchange=self.exchange, admin_token=token)))
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.sock.getsockname()[1]}"

    def __enter__(self) -> TokenServer:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started and time.monotonic() < deadline:
            time.sleep(0.01)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(10)
        self.sock.close()


@pytest.fixture
def token_server() -> Iterator[TokenServer]:
    with TokenServer("s3cret-token") as server:
        yield server
