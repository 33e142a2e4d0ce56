"""The contract report as a person reads it: rows that fit a terminal, every detail whole
anywhere else (a pipe, a CI log, JUnit XML), and a header naming the mode once."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest

from binance_mock.contracts.facts import Profile
from binance_mock.contracts.runner import FAILED, Config, Report, run, summary
from binance_mock.contracts.target import Credentials
from mock_server import MockBinance

ROOT = Path(__file__).resolve().parent.parent
# A failure whose message is long (the profile hint), a check whose source is the longest
# (34 characters), and one whose rule is the detail of a pass.
SELECT = ("param.size_over_max", "sort.descending", "rw.over_max")


@pytest.fixture(scope="module")
def clamping() -> Iterator[MockBinance]:
    """A mock that clamps size=101 while the suite expects the default: param.size_over_max fails."""
    with MockBinance(rows=100, profile={"size_over_max": "clamp"}) as mock:
        yield mock


@pytest.fixture(scope="module")
def report(clamping: MockBinance) -> Report:
    creds = Credentials(clamping.api_key, "hmac", secret=clamping.secret)
    return run(Config(clamping.base_url, creds, select=list(SELECT), expected=Profile()))


def _rows(text: str) -> dict[str, str]:
    """The table's rows by check id."""
    table = text.split("\n\n", 1)[0].splitlines()
    return {line.split()[1]: line for line in table if line.split()[0] in ("PASSED", "FAILED")}


def _failure(report: Report) -> str:
    (failed,) = [r for r in report.results if r.status == FAILED]
    assert len(failed.message) > 150  # long enough that any sensible table would cut it
    return failed.message


def test_the_header_names_the_mode_in_one_pair_of_parentheses(clamping: MockBinance, report: Report) -> None:
    assert summary(report).splitlines()[0] == f"binance-mock contract: {clamping.base_url} (control API)"
    creds = Credentials(clamping.api_key, "hmac", secret=clamping.secret)
    live = run(Config(clamping.base_url, creds, live=True, select=["public.ping"]))
    assert (
        summary(live).splitlines()[0] == f"binance-mock contract: {clamping.base_url} (live, no control API)"
    )


def test_a_wide_terminal_gets_whole_sources_and_long_details_within_its_width(report: Report) -> None:
    rows = _rows(summary(report, width=220))
    assert all(len(row) <= 220 for row in rows.values()), rows
    assert "page: Response in descending order " in rows["sort.descending"]
    message = _failure(report)
    shown = rows["param.size_over_max"].split("  F3", 1)[1].strip()
    assert len(shown) > 150 and shown.endswith("...") and message.startswith(shown[:-3])
    assert rows["rw.over_max"].endswith(
        'recvWindow=60001 is -1131 "recvWindow must be less than 60000", HTTP 400.'
    )


def test_a_narrow_terminal_cuts_the_source_before_the_detail(report: Report) -> None:
    rows = _rows(summary(report, width=100))
    assert all(len(row) <= 100 for row in rows.values()), rows
    row = rows["sort.descending"]
    assert "page: Response in" in row and "page: Response in descending order" not in row
    assert row.endswith(" Rows come newest first (timestamp des...")  # DETAIL_MIN characters


def test_without_a_terminal_nothing_is_cut(report: Report) -> None:
    text = summary(report)
    assert _rows(text)["param.size_over_max"].endswith(_failure(report))
    assert "page: Response in descending order " in _rows(text)["sort.descending"]


def _contract(mock: MockBinance, *args: str) -> list[str]:
    return [sys.executable, "-m", "mock_server", "contract", "--base-url", mock.base_url,
            "--fidelity", "size_over_max=error", *(a for c in SELECT for a in ("--check", c)), *args]  # fmt: skip


def test_the_command_fits_a_terminal_of_220_columns(clamping: MockBinance) -> None:
    main, child = pty.openpty()
    env = {**os.environ, "COLUMNS": "220", "LINES": "50"}
    proc = subprocess.Popen(_contract(clamping), stdin=child, stdout=child, stderr=child, cwd=ROOT, env=env)
    os.close(child)
    out = b""
    while True:  # read as it comes: the child blocks once the terminal's buffer is full
        try:
            chunk = os.read(main, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        out += chunk
    os.close(main)
    assert proc.wait(timeout=120) == 1
    rows = _rows(out.decode().replace("\r\n", "\n"))
    assert all(len(row) <= 220 for row in rows.values()), rows
    assert (
        len(rows["param.size_over_max"]) > 200
        and "page: Response in descending order " in rows["sort.descending"]
    )


def test_the_command_cuts_nothing_in_a_pipe_or_junit_xml(clamping: MockBinance, tmp_path: Path) -> None:
    junit = tmp_path / "report.xml"
    env = {**os.environ, "COLUMNS": "60"}  # a pipe is not a terminal, whatever COLUMNS says
    out = subprocess.run(_contract(clamping, "--junit-xml", str(junit)), capture_output=True, text=True,
                         timeout=120, cwd=ROOT, env=env)  # fmt: skip
    assert out.returncode == 1, out.stderr
    (failure,) = ET.parse(junit).getroot().iter("failure")
    message = failure.get("message", "")
    assert (
        "Matching profile: --fidelity size_over_max=clamp (or write it with --write-profile FILE)" in message
    )
    assert _rows(out.stdout)["param.size_over_max"].endswith(message)
