"""Regenerate mock_server/spec/spot_api.json from spot_api.yaml (the source of truth).

The mock reads the JSON form: parsing 1 MB of YAML takes a third of a second at every start,
the same data as JSON takes a few milliseconds. tests/test_spec_tier.py checks the two agree.

    .venv/bin/python tools/spec_json.py
"""

from __future__ import annotations

import json
from pathlib import Path

import yaml

SPEC = Path(__file__).resolve().parent.parent / "mock_server" / "spec"


def main() -> None:
    data = yaml.load(
        (SPEC / "spot_api.yaml").read_bytes(), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    )
    (SPEC / "spot_api.json").write_text(json.dumps(data, separators=(",", ":"), ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
