"""Fidelity profiles: loaded from files or options, every alternative named and checked."""

from __future__ import annotations

from pathlib import Path

import pytest

from mock_server.rules.fidelity import Profile, load_profile, parse_assignments


def test_every_decision_has_a_default_and_an_alternative() -> None:
    for name in Profile.names():
        choices = Profile.choices(name)
        assert len(choices) == 2 and getattr(Profile(), name) == choices[0]


def test_json_and_toml_profiles(tmp_path: Path) -> None:
    (tmp_path / "p.json").write_text('{"size_over_max": "clamp", "row_timestamp_unit": "s"}')
    (tmp_path / "p.toml").write_text('[profile]\nempty_rows = "absent"\n')
    assert load_profile(tmp_path / "p.json").differences() == {
        "size_over_max": "clamp",
        "row_timestamp_unit": "s",
    }
    assert load_profile(tmp_path / "p.toml").empty_rows == "absent"


def test_unknown_names_and_values_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown fidelity decision 'sizes'"):
        Profile().with_values({"sizes": "clamp"})
    with pytest.raises(ValueError, match="takes one of error, clamp"):
        Profile().with_values({"size_over_max": "maybe"})
    with pytest.raises(ValueError, match="name=value"):
        parse_assignments(["size_over_max"])
    assert parse_assignments(["a = b"]) == {"a": "b"}
