"""The docs are self-contained: every link resolves inside the repository, nothing cites a
document that is not in it, and the README stays a front page."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

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


def test_no_file_cites_a_document_outside_the_repository() -> None:
    listed = ["git", "ls-files", "--cached", "--others", "--exclude-standard"]  # new files count too
    files = subprocess.run(listed, cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    hits = []
    for name in files:
        path = ROOT / name
        if name.startswith(".ci/") or not path.is_file() or path.suffix in (".yaml", ".png"):
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        hits += [f"{name}: {needle}" for needle in OUTSIDE if needle in text]
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
