"""An absolute instant given in seconds (10 digits) is refused, naming
milliseconds, wherever a person types one; durations and offsets are left alone."""

from __future__ import annotations

import re

import pytest
from starlette.testclient import TestClient

from mock_server import MockBinance
from mock_server.cli import main
from mock_server.exchange import Exchange, Settings
from mock_server.http.app import create_app
from mock_server.injection.scenario import parse_scenario

SECONDS = 1_796_280_000
HINT = f"looks like seconds; it takes milliseconds since the epoch (13 digits), e.g. {SECONDS * 1000}"


def test_the_control_api_refuses_a_clock_frozen_in_seconds() -> None:
    exchange = Exchange(Settings(rows=5))
    client = TestClient(create_app(exchange=exchange))
    r = client.put("/_mock/clock", json={"now_ms": SECONDS})
    assert r.status_code == 400
    assert f"now_ms {SECONDS} {HINT}" in r.text
    assert exchange.clock_state().mode == "real"  # nothing changed
    # An offset is a duration: 10 digits of it (about 20 days) is a fair value.
    assert client.put("/_mock/clock", json={"offset_ms": SECONDS}).status_code == 200
    assert client.put("/_mock/clock", json={"now_ms": SECONDS * 1000}).json()["now_ms"] == SECONDS * 1000


def test_freeze_clock_refuses_seconds() -> None:
    mock = MockBinance(rows=5)
    with pytest.raises(ValueError, match=re.escape(f"now_ms {SECONDS} {HINT}")):
        mock.freeze_clock(SECONDS)
    with pytest.raises(ValueError, match=re.escape(f"anchor_ms {SECONDS} {HINT}")):
        MockBinance(rows=5, anchor_ms=SECONDS)


def test_a_scenario_clock_in_seconds_is_refused_naming_the_file() -> None:
    with pytest.raises(ValueError, match=rf"s\.json: clock: now_ms {SECONDS} looks like seconds"):
        parse_scenario({"clock": {"now_ms": SECONDS}}, "s.json")


@pytest.mark.parametrize("option", ["--start", "--end"])
def test_record_refuses_a_window_in_seconds_before_calling_anyone(
    option: str, capsys: pytest.CaptureFixture[str], tmp_path: object
) -> None:
    times = {"--start": str(SECONDS * 1000), "--end": str(SECONDS * 1000 + 1)}
    times[option] = str(SECONDS)
    argv = ["record", "--upstream", "http://127.0.0.1:9", "--api-key", "k", "--secret", "s",
            "--out", f"{tmp_path}/c.json", "--start", times["--start"], "--end", times["--end"]]  # fmt: skip
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert f"{option} {SECONDS} {HINT}" in err and "Traceback" not in err


def test_serve_refuses_an_anchor_in_seconds(capsys: pytest.CaptureFixture[str]) -> None:
    # Off loopback without --admin-token, serve stops before listening: a regression fails
    # on the message instead of serving forever.
    with pytest.raises(SystemExit) as exit_:
        main(["serve", "--host", "0.0.0.0", "--anchor-ms", str(SECONDS)])
    assert exit_.value.code == 2
    assert f"--anchor-ms: the value {SECONDS} {HINT}" in capsys.readouterr().err
