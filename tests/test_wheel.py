"""The distribution as a user installs it: a wheel built from the sources, installed into a new
virtualenv outside the repository, serves, runs the contract suite against itself, and puts
nothing at the top of site-packages but `mock_server` and `binance_mock` (contracts/ and
client_under_test/ install as binance_mock.contracts and binance_mock.client_under_test).

Offline, so that it runs wherever `make test` runs:
- the wheel is built without build isolation (`pip wheel --no-build-isolation --no-index`), by
  the setuptools the test extras install into .venv (the backend `[build-system]` names);
- the new virtualenv gets no pip and no index: this interpreter's pip installs the wheel into it
  (`pip --python NEW install --no-deps --no-index`);
- its dependencies are the ones already installed here: a `.pth` file in its site-packages names
  a folder of links to this virtualenv's installed distributions, less this project's own (the
  editable install's finder and metadata), so only the wheel can provide mock_server and
  binance_mock there.
About 10 seconds, most of it the build and the two interpreters' start-up.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import sysconfig
import threading
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ["pyproject.toml", "setup.py", "README.md", "LICENSE"]
FOLDERS = ["mock_server", "binance_mock", "contracts", "client_under_test"]
OWN = re.compile(r"^(__editable__.*|binance_mock-.*\.dist-info|mock_server|binance_mock|.*\.pth)$")


def _run(*cmd: str | Path, cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    return subprocess.run(
        [str(c) for c in cmd], capture_output=True, text=True, cwd=cwd, timeout=timeout, env=env
    )


def _build(tmp: Path) -> Path:
    """The wheel, built from a copy of the sources (the build writes build/ and *.egg-info)."""
    src = tmp / "src"
    src.mkdir()
    for name in SOURCES:
        shutil.copy2(ROOT / name, src / name)
    for name in FOLDERS:
        shutil.copytree(ROOT / name, src / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    dist = tmp / "dist"
    out = _run(sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index",
               "--quiet", "--wheel-dir", dist, src, cwd=tmp)  # fmt: skip
    assert out.returncode == 0, out.stdout + out.stderr
    (wheel,) = dist.glob("binance_mock-*.whl")
    return wheel


def _venv(tmp: Path) -> Path:
    """A new virtualenv whose dependencies are this one's, without this project."""
    venv = tmp / "venv"
    out = _run(sys.executable, "-m", "venv", "--without-pip", venv, cwd=tmp)
    assert out.returncode == 0, out.stderr
    deps = tmp / "deps"
    deps.mkdir()
    here = {Path(sysconfig.get_paths()[k]) for k in ("purelib", "platlib")}
    for site in here:
        for entry in site.iterdir():
            if not OWN.match(entry.name) and not (deps / entry.name).exists():
                (deps / entry.name).symlink_to(entry)
    (_site(venv / "bin" / "python", tmp) / "deps-of-the-test-run.pth").write_text(f"{deps}\n")
    return venv


def _site(python: Path, cwd: Path) -> Path:
    out = _run(python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])", cwd=cwd)
    assert out.returncode == 0, out.stderr
    return Path(out.stdout.strip())


@contextmanager
def _serving(venv: Path, cwd: Path) -> Iterator[str]:
    proc = subprocess.Popen(
        [venv / "bin" / "binance-mock", "serve", "--port", "0", "--rows", "300"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=cwd,
    )  # fmt: skip
    watchdog = threading.Timer(90, proc.kill)  # a server that never prints its address
    watchdog.start()
    try:
        lines = []
        for line in proc.stdout or ():
            lines.append(line)
            if found := re.search(r"http://127\.0\.0\.1:\d+", line):
                break
        else:
            pytest.fail("serve printed no address:\n" + "".join(lines))
        watchdog.cancel()
        yield found[0]
    finally:
        watchdog.cancel()
        proc.terminate()
        proc.wait(timeout=10)
        if proc.stdout:
            proc.stdout.close()


def test_a_wheel_installs_outside_the_repository_serves_and_passes_the_contract_suite(tmp_path: Path) -> None:
    wheel = _build(tmp_path)
    with zipfile.ZipFile(wheel) as z:
        top = {name.split("/")[0] for name in z.namelist() if ".dist-info/" not in name}
        names = set(z.namelist())
    assert top == {"binance_mock", "mock_server"}
    assert {"binance_mock/contracts/checks/security.py", "binance_mock/client_under_test/client.py",
            "mock_server/spec/spot_api.json", "mock_server/http/ui/index.html"} <= names  # fmt: skip

    venv = _venv(tmp_path)
    python = venv / "bin" / "python"
    out = _run(sys.executable, "-m", "pip", "--python", python, "install", "--no-deps", "--no-index", "--quiet",
               wheel, cwd=tmp_path)  # fmt: skip
    assert out.returncode == 0, out.stdout + out.stderr
    site = _site(python, tmp_path)

    # The packages come from the wheel, under their installed names; the folders' names import nothing.
    code = (
        "import binance_mock.contracts.cli, binance_mock.client_under_test, mock_server\n"
        "print(binance_mock.contracts.__file__); print(mock_server.__file__)\n"
        "for name in ('contracts', 'client_under_test'):\n"
        "    try:\n"
        "        __import__(name)\n"
        "    except ModuleNotFoundError:\n"
        "        print('no', name)\n"
    )
    out = _run(python, "-c", code, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == [
        str(site / "binance_mock" / "contracts" / "__init__.py"),
        str(site / "mock_server" / "__init__.py"),
        "no contracts",
        "no client_under_test",
    ]
    out = _run(python, "-m", "binance_mock.client_under_test", "--help", cwd=tmp_path)
    assert out.returncode == 0 and "python -m binance_mock.client_under_test" in out.stdout, out.stderr

    with _serving(venv, tmp_path) as base_url:
        out = _run(venv / "bin" / "binance-mock", "contract", "--base-url", base_url, cwd=tmp_path)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    assert re.search(r"\b\d+ passed\b", out.stdout) and " failed" not in out.stdout, out.stdout[-3000:]
