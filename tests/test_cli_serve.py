"""`binance-mock serve` on the command line: the address it prints, and its usage errors."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from mock_server.cli import main

ROOT = Path(__file__).resolve().parent.parent


def _serve(*args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    cmd = [sys.executable, "-m", "mock_server", "serve", "--rows", "10", *args]
    return subprocess.Popen(
        cmd, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True, cwd=ROOT, env=env
    )


def test_port_0_prints_the_bound_address_once_it_is_bound_and_sigterm_then_stops_it() -> None:
    proc = _serve("--port", "0")
    try:
        line = proc.stderr.readline() if proc.stderr else ""
        assert line.startswith("binance-mock serving on http://127.0.0.1:"), line
        url = line.split()[-1]
        assert not url.endswith(":0")
        # The line comes only once the socket listens: a request right now is answered.
        assert requests.get(f"{url}/api/v3/ping", timeout=5).status_code == 200
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
    finally:
        proc.kill()
        proc.communicate()


def test_a_port_in_use_is_reported_without_claiming_to_serve() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        proc = _serve("--port", str(port))
        _, err = proc.communicate(timeout=60)
    assert proc.returncode == 2
    assert "serving on" not in err and f"127.0.0.1:{port} is in use" in err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--port", "99999"], "--port"),
        (["--port", "-1"], "--port"),
        (["--rows", "-5"], "--rows"),
        (["--log-level", "loud"], "--log-level"),
        (["--journal-size", "0"], "--journal-size"),
        (["--min-interval-ms", "-1"], "--min-interval-ms"),
        (["--ip-weight-limit", "0"], "--ip-weight-limit"),
    ],
)
def test_bad_values_are_usage_errors(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["serve", *args])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
