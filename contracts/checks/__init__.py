"""The checks, one module per area; importing a module registers its checks in report order."""

from __future__ import annotations

import importlib

MODULES = (
    "security",
    "timing",
    "params",
    "window",
    "listing",
    "headers",
    "faults",
)


def load() -> None:
    for name in MODULES:
        importlib.import_module(f"contracts.checks.{name}")
