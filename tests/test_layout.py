"""The package's layout is its data flow: each package imports only what it may.

Every module's imports (top level and inside functions) are read from its source, so a
lazy import cannot hide a wrong-way dependency.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "archiver"
# Modules every layer may use: the archive's vocabulary, no I/O of their own.
SHARED = {
    "errors",
    "jsonvalue",
    "jsonrepair",
    "canonical",
    "indented_size",
    "paths",
    "textsafe",
    "times",
    "backoff",
    "gc_pause",
    "closing",
    "source_digest",
}
# The verbs that drive a whole run may use every layer but the command line.
ORCHESTRATORS = {"sync", "publish", "backfill", "notify"}
LAYERS = ("upstream", "archive", "telemetry", "history", "capture", "site", "export")
# What each layer may import besides the shared modules and itself.
MAY_IMPORT: dict[str, set[str]] = {
    "upstream": set(),
    "archive": {"upstream"},
    "telemetry": set(),
    "history": {"archive"},
    "capture": set(),
    "site": {"archive", "history", "telemetry"},
    "export": {"archive", "history", "telemetry"},
}
MAX_LINES = 400


def modules() -> list[Path]:
    """Return every module of the package."""
    return sorted(PACKAGE.rglob("*.py"))


def owner(path: Path) -> str:
    """Return the layer, shared module or orchestrator a module belongs to."""
    parts = path.relative_to(PACKAGE).with_suffix("").parts
    return parts[0]


def imported(path: Path) -> set[str]:
    """Return the first component under `archiver.` of everything a module imports."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        names: list[str] = []
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        for name in names:
            parts = name.split(".")
            if parts[0] == "archiver" and len(parts) > 1:
                found.add(parts[1])
            elif parts[0] == "click":
                found.add("click")
    return found


def allowed(module_owner: str) -> set[str] | None:
    """Return what a module may import (None: anything)."""
    if module_owner == "cli" or module_owner in ("__init__", "__main__"):
        return None
    if module_owner in SHARED:
        return set(SHARED)
    if module_owner in ORCHESTRATORS:
        return set(SHARED) | ORCHESTRATORS | set(LAYERS)
    return set(SHARED) | MAY_IMPORT[module_owner] | {module_owner}


@pytest.mark.parametrize("path", modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_each_module_imports_only_what_its_layer_may(path: Path) -> None:
    rule = allowed(owner(path))
    if rule is None:
        return
    # Package names that are also module names (a package's own submodules) are fine.
    wrong = imported(path) - rule - {name.stem for name in path.parent.glob("*.py")}
    assert not wrong, f"{path.relative_to(PACKAGE)} imports {sorted(wrong)}"


def test_only_the_command_line_imports_click() -> None:
    users = [p for p in modules() if "click" in imported(p) and owner(p) != "cli"]
    assert users == []


def test_no_module_is_over_the_size_limit() -> None:
    long = {
        str(p.relative_to(PACKAGE)): n
        for p in modules()
        if (n := len(p.read_text().splitlines())) > MAX_LINES
    }
    assert long == {}


def test_every_package_says_what_it_owns_and_may_import() -> None:
    for package in [*LAYERS, "cli"]:
        doc = ast.get_docstring(ast.parse((PACKAGE / package / "__init__.py").read_text()))
        assert doc, f"archiver/{package}/__init__.py has no docstring"
        if package in MAY_IMPORT:
            assert "May import" in doc, f"archiver/{package} does not say what it may import"


def test_the_rules_see_a_wrong_way_import(tmp_path: Path) -> None:
    module = tmp_path / "wrong.py"
    module.write_text("def f():\n    from archiver.archive.store import Store\n    import click\n")
    assert imported(module) == {"archive", "click"}
