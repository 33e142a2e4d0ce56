"""A mistake gets one line a person can read, naming the bad value and what
to do (fault paths and codes are in test_fault_messages.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from mock_server.cli import main
from mock_server.exchange import Exchange, Settings
from mock_server.injection.scenario import parse_scenario
from mock_server.state.accounts import DEMO_API_KEY


@pytest.mark.parametrize(
    ("argv", "first", "hint"),
    [
        (["serve", "--bogus"], "binance-mock serve: error: unrecognized arguments: --bogus", "serve"),
        (["serve", "--port", "x"], "binance-mock serve: error: argument --port: 'x' is not an integer", "serve"),
        (["contract", "--junit-xml"], "binance-mock contract: error: argument --junit-xml", "contract"),
        (["fuzz", "--nope"], "binance-mock fuzz: error: unrecognized arguments: --nope", "fuzz"),
        (["record", "--out", "c.json"], "binance-mock record: error: the following arguments are required",
         "record"),
        (["cassette", "import"], "binance-mock cassette import: error: the following arguments are required",
         "cassette import"),
        (["servee"], "binance-mock: error: argument command: invalid choice: 'servee'", ""),
    ],
)  # fmt: skip
def test_a_usage_mistake_is_its_line_and_where_the_options_are(
    argv: list[str], first: str, hint: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    assert exit_.value.code == 2
    lines = capsys.readouterr().err.splitlines()
    command = f"binance-mock {hint}".strip()
    assert len(lines) == 2 and lines[0].startswith(first), lines
    assert lines[1] == f"run `{command} --help` for the options"


@pytest.mark.parametrize("option", ["--fixture", "--keys", "--scenario", "--profile", "--cassette"])
def test_a_missing_file_names_its_option(
    option: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "x.json"
    assert main(["serve", "--port", "0", option, str(missing)]) == 2
    assert capsys.readouterr().err == f"binance-mock: {option} {missing}: no such file\n"


def test_a_folder_given_for_a_file_is_said_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "--port", "0", "--fixture", str(tmp_path)]) == 2
    assert capsys.readouterr().err == f"binance-mock: --fixture {tmp_path}: is a folder, not a file\n"


def test_a_scenario_field_mistyped_gets_the_field_it_meant() -> None:
    with pytest.raises(ValueError) as caught:
        parse_scenario({"fault": [{"code": -3020}]}, "s.json")
    assert str(caught.value) == (
        "s.json: unknown field(s) 'fault'; did you mean 'faults'? "
        "(a scenario has balances, clock, faults, market, pacing, rows, streams, transfers)"
    )


ROW = {"amount": "1.00000000", "asset": "BNB", "timestamp": 1_790_000_000_000, "txId": 1, "type": "ROLL_IN"}


@pytest.mark.parametrize(
    ("api_key", "shown"),
    [
        ("nosuch", "apiKey '******' (6 characters; the accounts' keys have 64)"),
        (DEMO_API_KEY[:40] + "X" + DEMO_API_KEY[41:],
         "apiKey 'vmPU...Eh8A' (differs from vmPU...Eh8A at character 41 of 64)"),
    ],
)  # fmt: skip
def test_a_wrong_scenario_api_key_shows_the_typo_but_not_the_key(api_key: str, shown: str) -> None:
    scenario = parse_scenario({"transfers": [{"apiKey": api_key, "rows": [ROW]}]}, "s.json")
    with pytest.raises(ValueError) as caught:
        Exchange(Settings(rows=1, scenario=scenario))
    message = str(caught.value)
    assert message.startswith(f"s.json: transfers[0]: {shown} is not an account of this mock")
    assert api_key not in message and (len(api_key) < 16 or api_key[4:-4] not in message)


@pytest.mark.parametrize("option", ["--keys", "--profile", "--scenario"])
@pytest.mark.parametrize(
    ("suffix", "text", "kind"), [(".json", "{not json", "JSON"), (".toml", "a = [", "TOML")]
)
def test_a_file_that_does_not_parse_is_named(
    option: str, suffix: str, text: str, kind: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / f"bad{suffix}"
    bad.write_text(text)
    assert main(["serve", "--port", "0", option, str(bad)]) == 2
    err = capsys.readouterr().err
    assert f"{bad}: not valid {kind} (" in err and "Traceback" not in err
