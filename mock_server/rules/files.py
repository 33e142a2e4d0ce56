"""The files a user writes for the mock (keys, profiles, scenarios): JSON, or TOML by the name."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any


def read_table(path: str | Path) -> Any:
    """The file's data; ValueError naming the file and where it does not parse."""
    p = Path(path)
    text = p.read_text(encoding="utf-8")
    try:
        return tomllib.loads(text) if p.suffix.lower() == ".toml" else json.loads(text)
    except (json.JSONDecodeError, tomllib.TOMLDecodeError) as exc:
        kind = "TOML" if p.suffix.lower() == ".toml" else "JSON"
        raise ValueError(f"{p}: not valid {kind} ({exc})") from None
