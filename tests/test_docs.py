"""The docs are self-contained: every link resolves inside the repository, nothing cites a
document that is not in it, and the README stays a front page."""

from __future__ import annotations

import importlib
import json
import re
import subprocess
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
# Documents the project was written from that are not in the repository (spelled in pieces,
# so that this file does not match its own search).
OUTSIDE = ["facts " + "§", "binance-" + "facts", "DESIGN" + ".md", "STYLE" + ".md", "shared/" + "reference"]


def test_every_relative_link_resolves() -> None:
    broken = []
    for page in PAGES:
        for target in re.findall(r"\]\(([^)\s]+)\)", page.read_text(encoding="utf-8")):
            if target.startswith(("http://", "https://", "#", "mailto:")):
                continue
            path = target.split("#", 1)[0]
            if not (page.parent / path).exists():
                broken.append(f"{page.relative_to(ROOT)}: {target}")
    assert not broken, broken


def project_files() -> dict[str, str]:
    """The text of every file of the repository, new ones too, but Binance's OpenAPI description."""
    listed = ["git", "ls-files", "--cached", "--others", "--exclude-standard"]
    files = subprocess.run(listed, cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    return {
        name: (ROOT / name).read_text(encoding="utf-8", errors="replace")
        for name in files
        if not name.startswith(".ci/")
        and (ROOT / name).is_file()
        and Path(name).suffix not in (".yaml", ".png")
    }


def test_no_file_cites_a_document_outside_the_repository() -> None:
    hits = [
        f"{name}: {needle}" for name, text in project_files().items() for needle in OUTSIDE if needle in text
    ]
    assert not hits, hits


def test_no_file_points_at_an_issue_number() -> None:
    """An issue number means nothing to a reader of the repository: say what is meant."""
    issue = re.compile(r"\b" + "[Ii]ssues?" + r"[ #-]+\d+")  # in pieces, so as not to match itself
    hits = [f"{name}: {m[0]}" for name, text in project_files().items() for m in issue.finditer(text)]
    assert not hits, hits


def test_the_readme_is_a_front_page() -> None:
    lines = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    assert len(lines) <= 300
    assert "make serve" in lines[20:40] or any("make serve" in line for line in lines[:40])


def test_every_decision_of_the_profile_is_in_the_fidelity_notes() -> None:
    from mock_server.rules.fidelity import Profile

    notes = (ROOT / "docs" / "fidelity.md").read_text(encoding="utf-8")
    missing = [name for name in Profile.names() if f"`{name}=" not in notes]
    assert not missing, missing
    numbers = {int(n) for n in re.findall(r"^\| F(\d+) \|", notes, re.M)}
    assert numbers == set(range(1, max(numbers) + 1)), sorted(set(range(1, max(numbers) + 1)) - numbers)


# --- fenced code blocks ---

_FENCE = re.compile(r"^(?P<indent> *)(?P<run>`{3,}|~{3,})(?P<info>.*)$")


def fences(text: str) -> tuple[list[tuple[int, int]], list[str]]:
    """The fenced code blocks of a Markdown text as CommonMark reads them: (first line, last
    line) of each, 1-based, and the problems: a block still open at the end, a line inside a
    block that looks like its closing fence but carries text (so it closes nothing, and
    everything after it renders as code), a backtick fence whose info string holds a backtick
    (not a fence at all). A closing fence is the opening's character, at least as long, with
    nothing after it but spaces; ``` inside a ```` block is text. A fence is taken at any
    indentation, since list items indent theirs (these pages have no indented code block that
    starts with a fence)."""
    blocks: list[tuple[int, int]] = []
    problems: list[str] = []
    open_at, char, length = 0, "", 0
    for n, line in enumerate(text.splitlines(), 1):
        m = _FENCE.match(line)
        if open_at:
            if m and m["run"][0] == char and len(m["run"]) >= length:
                if not m["info"].strip():
                    blocks.append((open_at, n))
                    open_at = 0
                else:
                    problems.append(f"line {n}: text after the fence that should close line {open_at}")
            continue
        if not m:
            continue
        if m["run"][0] == "`" and "`" in m["info"]:
            problems.append(f"line {n}: a backtick fence whose info string holds a backtick")
            continue
        open_at, char, length = n, m["run"][0], len(m["run"])
    if open_at:
        problems.append(f"line {open_at}: a fence that never closes")
    return blocks, problems


def test_the_fence_reader_reads_commonmark() -> None:
    assert fences("```py\nx\n```\n") == ([(1, 3)], [])
    assert fences("~~~\n```\n~~~\n") == ([(1, 3)], [])  # the other character is text
    assert fences("````md\n```\nin\n```\n````\n") == ([(1, 5)], [])  # a shorter run is text
    assert fences("```\nx\n`````  \n") == ([(1, 3)], [])  # longer closes, spaces after are fine
    assert fences("- item\n\n  ```json\n  {}\n  ```\n") == ([(3, 5)], [])  # inside a list item
    assert fences("```\nx\n``` and prose\n")[1] == [
        "line 3: text after the fence that should close line 1",
        "line 1: a fence that never closes",
    ]
    assert fences("``` a`b\n")[1] == ["line 1: a backtick fence whose info string holds a backtick"]


def test_every_fenced_code_block_closes() -> None:
    problems = []
    for page in PAGES:
        problems += [f"{page.relative_to(ROOT)} {p}" for p in fences(page.read_text(encoding="utf-8"))[1]]
    assert not problems, problems


def code_blocks(page: Path, info: str) -> list[str]:
    lines = page.read_text(encoding="utf-8").splitlines()
    blocks, _ = fences("\n".join(lines))
    return [
        "\n".join(lines[first : last - 1])
        for first, last in blocks
        if lines[first - 1].strip().strip("`~").strip() == info
    ]


# --- figures and names the docs state, against the code ---


def test_the_share_of_isolated_rows_is_the_generators() -> None:
    """serve.md states the share of generated rows that touch an isolated margin account (the
    rows the isolatedSymbol filter can find): measured here over five seeds of 2,000 rows."""
    from mock_server.state.data import generate

    text = (ROOT / "docs" / "serve.md").read_text(encoding="utf-8")
    (stated,) = re.findall(r"about (\d+)% isolated-margin rows", text)
    rows = [t for seed in range(1, 6) for t in generate(seed, 1_790_000_000_000, 2_000, "key")]
    isolated = [t for t in rows if "ISOLATED_MARGIN" in (t.trans_from, t.trans_to)]
    assert all(t.from_symbol or t.to_symbol for t in isolated)
    measured = 100 * len(isolated) / len(rows)
    assert abs(measured - int(stated)) < 1, (
        f"serve.md says about {stated}%, the generator gives {measured:.1f}%"
    )


def test_the_documented_check_ids_are_the_suites() -> None:
    from binance_mock.contracts.checks import all_checks

    text = (ROOT / "docs" / "contracts.md").read_text(encoding="utf-8")
    table = text.split("| Area | Check ids | Source |", 1)[1].split("\n\n", 1)[0]
    documented = re.findall(r"`([a-z_]+\.[a-z0-9_]+)`", table)
    assert len(documented) == len(set(documented)), "a check id listed twice"
    assert set(documented) == {c.id for c in all_checks()}

    # The profile discovery table: each decision a check classifies, with that check.
    discovery = text.split("| Decision | Check | How it is told apart |", 1)[1].split("\n\n", 1)[0]
    rows = dict(re.findall(r"^\| `(\w+)` \(F\d+\) \| `([\w.]+)` \|", discovery, re.M))
    assert rows == {c.decision: c.id for c in all_checks() if c.decision}


def resolves(name: str) -> bool:
    """`a.b.c` names a module, or a name inside one."""
    parts = name.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for attr in parts[cut:]:
            if not hasattr(obj, attr):
                return False
            obj = getattr(obj, attr)
        return True
    return False


def test_the_documented_modules_exist() -> None:
    named = r"`((?:mock_server|binance_mock)(?:\.[A-Za-z_]\w*)+)"
    groups = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["entry-points"]
    missing = [
        f"{page.relative_to(ROOT)}: {name}"
        for page in PAGES
        for name in sorted(set(re.findall(named, page.read_text(encoding="utf-8"))))
        if name not in groups and not resolves(name)
    ]
    assert not missing, missing


def test_no_page_names_a_module_by_its_folder() -> None:
    """contracts/ and client_under_test/ install as binance_mock.contracts and
    binance_mock.client_under_test: a module named from the folder (`contracts.cli`) imports
    nowhere."""
    folder = r"(?<![\w.])((?:contracts|client_under_test)(?:\.[A-Za-z_]\w*)+)"
    named = [
        f"{page.relative_to(ROOT)}: {name}"
        for page in PAGES
        for name in re.findall(folder, page.read_text(encoding="utf-8"))
        if not name.endswith(".md")
    ]
    assert not named, named


def test_the_documented_journal_entry_is_the_codes() -> None:
    """Every entry shown in the docs (a JSON block with `check` and `clientIp`) has exactly the
    fields of `Entry.to_dict()`, or of `to_detail()` when it shows the body."""
    from mock_server.state.journal import Entry

    entry = Entry(1, 0, "GET", "/x", b"a=1", None, 200, None, None, "ok", None, "127.0.0.1", "exact", b"{}")
    shown = []
    for page in PAGES:
        for block in code_blocks(page, "json"):
            if '"clientIp"' in block and '"check"' in block:
                data = json.loads(block)
                expected = entry.to_detail() if "body" in data else entry.to_dict()
                assert list(data) == list(expected), f"{page.relative_to(ROOT)}: {list(data)}"
                shown.append(page.name)
    assert "python-api.md" in shown


def test_the_exceptions_of_a_bad_start_are_documented() -> None:
    """python-api.md names what MockBinance raises for a missing file and for a bad one."""
    from mock_server import MockBinance

    text = (ROOT / "docs" / "python-api.md").read_text(encoding="utf-8")
    with pytest.raises(FileNotFoundError):
        MockBinance(fixture=str(ROOT / "no-such-file.json")).start()
    with pytest.raises(ValueError, match="not valid JSON"):
        MockBinance(fixture=__file__).start()
    assert "`FileNotFoundError`" in text and "`ValueError`" in text


def test_the_readme_says_what_make_test_runs_and_needs() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    addopts = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["pytest"]
    # The markers `make test` leaves out, and the target that runs them, are in the README.
    for marker in re.findall(r"not (\w+)", addopts["ini_options"]["addopts"]):
        target = re.search(rf"^([\w-]+):.*\n(?:.*\n)*?.*pytest -m {marker}\b", makefile, re.M)
        assert target and f"make {target[1]}" in readme.split("## Quick start")[0], marker
    (line,) = [line for line in readme.splitlines() if line.startswith("make test ")]
    assert "every test" not in line
    if "-m venv" in makefile:
        assert "venv" in readme.split("## Quick start")[0].replace(".venv", "")


def test_no_page_uses_a_label_it_does_not_explain() -> None:
    """A label like P4 is defined on its page by a list item (`- P4 ...`), and a use above that
    list says it is below."""
    hits = []
    for page in PAGES:
        text = page.read_text(encoding="utf-8")
        where = str(page.relative_to(ROOT))
        defined = {m[1]: m.start() for m in re.finditer(r"^- (P\d+) ", text, re.M)}
        for m in re.finditer(r"\bP\d+\b", text):
            if m.start() in (at + 2 for at in defined.values()):
                continue
            sentence = text[m.start() - 10 : m.end() + 10]
            if m[0] not in defined:
                hits.append(f"{where}: {m[0]} is defined nowhere on the page")
            elif m.start() < defined[m[0]] and "below" not in sentence:
                hits.append(f"{where}: {m[0]} is used above its definition without saying so")
    assert not hits, hits


def test_the_apps_page_shows_the_configs_and_strategies_make_test_freqtrade_uses() -> None:
    """docs/apps.md is enough to run freqtrade against the mock by hand, dry and live: its configs
    and strategies are the files the make target runs, to the character."""
    page = ROOT / "docs" / "apps.md"
    shipped = ROOT / "tests" / "apps" / "freqtrade"
    config, live_config = code_blocks(page, "json")
    dry_run, live = code_blocks(page, "python")
    assert config + "\n" == (shipped / "config.json").read_text(encoding="utf-8")
    assert live_config + "\n" == (shipped / "config.live.json").read_text(encoding="utf-8")
    assert dry_run + "\n" == (shipped / "strategies" / "mock_probe.py").read_text(encoding="utf-8")
    assert live + "\n" == (shipped / "strategies" / "mock_live.py").read_text(encoding="utf-8")
    requirements = (shipped / "requirements.txt").read_text(encoding="utf-8")
    (pinned,) = re.findall(r"^freqtrade==(\S+)$", requirements, re.M)
    assert f"freqtrade=={pinned}" in page.read_text(encoding="utf-8")
