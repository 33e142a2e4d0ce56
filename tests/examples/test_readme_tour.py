"""The README's five-minute tour runs as printed, against a real mock on a free port.

Not an example to copy: it reads README.md from this repository. The test_howto_*.py files
beside it are the examples, each self-contained.
"""

import contextlib
import io
import re
from pathlib import Path

README = Path(__file__).resolve().parents[2] / "README.md"


def _tour() -> str:
    text = README.read_text(encoding="utf-8")
    section = text.split("## A five-minute tour", 1)[1]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


def test_the_readme_tour_runs_as_printed(binance_mock):
    code = _tour().replace('BASE = "http://127.0.0.1:8900"', f'BASE = "{binance_mock.base_url}"')
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, "README.md", "exec"), {})
    printed = out.getvalue()
    assert "400 -1127 More than 720 hours between startTime and endTime." in printed
    assert printed.count("-21003 Fail to retrieve margin assets.") == 2
    assert "/sapi/v1/margin/transfer 200 None ok" in printed
