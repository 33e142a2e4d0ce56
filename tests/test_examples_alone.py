"""The how-to examples are copyable: each runs on its own, away from this repository's
conftest files, with only binance-mock (its pytest plugin) and binance-connector installed."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

EXAMPLES = sorted((Path(__file__).parent / "examples").glob("test_howto_*.py"))


def test_every_howto_example_runs_alone(tmp_path: Path) -> None:
    assert len(EXAMPLES) >= 8
    for example in EXAMPLES:
        shutil.copy(example, tmp_path / example.name)
        assert "Self-contained: copy this file alone" in example.read_text(encoding="utf-8"), example.name
    # One run for all: a fixture a test module defines is seen by that module alone, so the
    # files cannot lean on one another, and nothing else in the folder could lend them one.
    out = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:randomly", str(tmp_path)],
        capture_output=True, text=True, timeout=300, cwd=tmp_path,
    )  # fmt: skip
    assert out.returncode == 0, out.stdout[-3000:]
    tests = sum(len(re.findall(r"^def test_", e.read_text(encoding="utf-8"), re.M)) for e in EXAMPLES)
    assert out.stdout.splitlines()[-1].startswith(f"{tests} passed"), out.stdout[-3000:]
