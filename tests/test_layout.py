"""The layout's promises: no import cycles (counting in-function and type-checking imports), the
public import paths, and a pytest plugin that imports nothing heavy until its fixture is used."""

from __future__ import annotations

import ast
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Each installed package and its folder: mock_server and binance_mock under their own names, the
# folders that pyproject.toml's package-dir maps under binance_mock (contracts/ is
# binance_mock.contracts).
SETUPTOOLS = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
FOLDERS: dict[str, str] = SETUPTOOLS["package-dir"]
PACKAGES = {"mock_server": "mock_server", "binance_mock": "binance_mock", **FOLDERS}


def _modules() -> dict[str, Path]:
    """Every module of the distribution by the name it is imported as once installed."""
    out: dict[str, Path] = {}
    for package, folder in PACKAGES.items():
        for path in (ROOT / folder).rglob("*.py"):
            parts = list(path.relative_to(ROOT / folder).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            out[".".join([package, *parts])] = path
    return out


def _package(module: str) -> str:
    """The installed package `module` belongs to (the longest that names it)."""
    return max((p for p in PACKAGES if module == p or module.startswith(p + ".")), key=len)


def test_the_folders_map_to_the_distributions_namespace() -> None:
    assert FOLDERS == {
        "binance_mock.contracts": "contracts",
        "binance_mock.client_under_test": "client_under_test",
    }
    modules = _modules()
    assert "binance_mock.contracts.checks.security" in modules
    assert all(_package(name) in PACKAGES for name in modules)
    assert modules["binance_mock.client_under_test"] == ROOT / "client_under_test" / "__init__.py"


def _imports(path: Path, modules: dict[str, Path]) -> set[str]:
    """Every project module `path` imports, wherever the import statement stands; also a module
    named by a string of its dotted name (loaded by
    `importlib.import_module("binance_mock.contracts.cli")`,
    at once or later)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and "." in node.value:
            found.add(node.value)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name in modules)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                sub = f"{node.module}.{alias.name}"
                found.add(sub if sub in modules else node.module)
    return {m for m in found if m in modules}


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state and (found := visit(nxt)) is not None:
                return found
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)) is not None:
            return found
    return None


def test_no_import_cycles() -> None:
    modules = _modules()
    graph = {name: _imports(path, modules) - {name} for name, path in modules.items()}
    assert len(graph) > 40
    assert _cycle(graph) is None, " -> ".join(_cycle(graph) or [])


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None


def test_mock_binance_is_importable_from_the_package_and_from_testing() -> None:
    from mock_server import MockBinance
    from mock_server.testing import MockBinance as FromTesting

    assert MockBinance is FromTesting


def test_the_pytest_plugin_imports_no_server_dependency_until_used() -> None:
    code = (
        "import sys, mock_server.harness.pytest_plugin; "
        "print(sorted(m for m in ('uvicorn', 'starlette', 'faker', 'cryptography') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip() == "[]"


# README "Layout": the reference client stands alone (an app's code, it knows nothing of the mock);
# the mock never imports the suite that checks it (a bug in the mock must not be copied into the
# check that should catch it); the contract suite reads the mock's catalog of facts.
# binance_mock itself only holds the two: importing the client must not load the suite.
ALLOWED = {
    "binance_mock.client_under_test": {"binance_mock.client_under_test"},
    "mock_server": {"mock_server"},
    "binance_mock.contracts": {"binance_mock.contracts", "mock_server"},
    "binance_mock": {"binance_mock"},
}


def test_each_package_imports_only_what_the_layout_allows() -> None:
    modules = _modules()
    assert {_package(name) for name in modules} == set(ALLOWED)
    wrong = [
        f"{name} -> {imported}"
        for name, path in modules.items()
        for imported in _imports(path, modules)
        if _package(imported) not in ALLOWED[_package(name)]
    ]
    assert not wrong, wrong


def _folder_imports(path: Path, modules: dict[str, Path]) -> set[str]:
    """The modules `path` imports by a mapped folder's name (`contracts.cli`), which is no
    installed package: wherever the statement stands, or a module named in a string by its
    dotted name (an entry point's `contracts.cli:register`; a bare folder name in a string is a
    path more often than a module)."""
    folders = set(FOLDERS.values())
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.split(".")[0] in folders)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.update([node.module] if node.module.split(".")[0] in folders else [])
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            for word in node.value.split():
                name = word.split(":")[0]
                if "." in name and name.split(".")[0] in folders and f"binance_mock.{name}" in modules:
                    found.add(name)
    return found


def test_nothing_imports_a_package_by_its_folder_name() -> None:
    """Code, tests, tools and bench import binance_mock.contracts, never contracts (which the
    graph above would not see: it is no module of the distribution)."""
    modules = _modules()
    files = [
        p
        for p in ROOT.rglob("*.py")
        if not {".venv", ".venv-lowest", ".venv-freqtrade", "build"} & set(p.parts)
    ]
    wrong = [f"{p.relative_to(ROOT)}: {m}" for p in files for m in sorted(_folder_imports(p, modules))]
    assert len(files) > 100
    assert not wrong, wrong


def test_a_folder_import_is_found(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    folder, client = FOLDERS["binance_mock.contracts"], FOLDERS["binance_mock.client_under_test"]
    module.write_text(
        f"import {client}\ndef f():\n    from {folder}.cli import main\n\n"
        f"M = '-m {client}.cli'\nN = '{folder}.md {folder}.cli:register'\n"
    )
    assert _folder_imports(module, _modules()) == {client, f"{folder}.cli", f"{client}.cli"}


def test_a_module_loaded_by_name_counts_as_an_import(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text(
        "import importlib\nNAMES = ('binance_mock.contracts.cli',)\nimportlib.import_module(NAMES[0])\n"
    )
    modules = {"binance_mock.contracts.cli": module, "binance_mock.contracts": module}
    assert _imports(module, modules) == {"binance_mock.contracts.cli"}


# README "Layout": each subpackage of mock_server imports only the ones before it in this list.
LAYERS = [
    "version",
    "rules",
    "state",
    "market",
    "streams",
    "trading",
    "endpoints",
    "injection",
    "replay",
    "exchange",
    "wsapi",
    "http",
    "harness",
    "cli",
]


def _layer(module: str) -> int | None:
    parts = module.split(".")
    if parts[0] != "mock_server" or len(parts) < 2 or parts[1] not in LAYERS:
        return None
    return LAYERS.index(parts[1])


def test_mock_server_packages_import_only_the_layers_below_them() -> None:
    modules = _modules()
    upward = []
    for name, path in modules.items():
        mine = _layer(name)
        if mine is None:
            continue
        for imported in _imports(path, modules):
            theirs = _layer(imported)
            if theirs is not None and theirs > mine:
                upward.append(f"{name} -> {imported}")
    assert not upward, upward
