"""The shape of helpers/: few flat modules, one home per idea, dependencies in one direction, no cycle."""

from __future__ import annotations

import ast
from pathlib import Path

from helpers.settings import PROJECT_ROOT

HELPERS = PROJECT_ROOT / "helpers"
# Top-level modules everything else stands on: they import nothing from helpers but the error tree.
FOUNDATION = {"helpers.settings", "helpers.errors", "helpers.redact", "helpers.ports"}


def module_name(path: Path) -> str:
    parts = path.relative_to(PROJECT_ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def helpers_imports(path: Path) -> set[str]:
    """Every helpers module `path` imports, at any depth of its code (lazy imports count too)."""
    tree, found = ast.parse(path.read_text()), set()
    package = module_name(path) if path.name == "__init__.py" else module_name(path).rsplit(".", 1)[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name.startswith("helpers")}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(
                    package.split(".")[: len(package.split(".")) - node.level + 1] + ([base] if base else [])
                )
            if base.startswith("helpers"):
                found.add(base)
                found |= {f"{base}.{alias.name}" for alias in node.names}
    modules = {module_name(p) for p in HELPERS.rglob("*.py")}
    return {name for name in found if name in modules}


GRAPH = {module_name(p): helpers_imports(p) - {module_name(p)} for p in HELPERS.rglob("*.py")}


def test_at_most_ten_flat_modules() -> None:
    flat = sorted(p.name for p in HELPERS.glob("*.py"))
    assert len(flat) <= 10, flat


def test_foundation_modules_depend_only_on_the_error_tree() -> None:
    for name in FOUNDATION:
        assert GRAPH[name] <= {"helpers.errors", "helpers"}, (name, GRAPH[name])


def test_no_import_cycle_between_helpers_modules() -> None:
    state: dict[str, str] = {}

    def visit(node: str, path: list[str]) -> None:
        state[node] = "open"
        for nxt in GRAPH.get(node, ()):
            if nxt.startswith(node + ".") or node.startswith(nxt + "."):
                continue  # a package and its own modules
            assert state.get(nxt) != "open", " -> ".join([*path, node, nxt])
            if nxt not in state:
                visit(nxt, [*path, node])
        state[node] = "done"

    for name in GRAPH:
        if name not in state:
            visit(name, [])


def test_mcp_client_knows_no_server() -> None:
    for name, deps in GRAPH.items():
        if name.startswith("helpers.mcp_client"):
            assert not [d for d in deps if d.startswith("helpers.servers")], (name, deps)


def test_one_config_error_and_no_test_tools_in_shipped_code() -> None:
    sources = {p: p.read_text() for p in HELPERS.rglob("*.py")}
    assert [p.name for p, text in sources.items() if "class ConfigError" in text] == ["errors.py"]
    assert not [p for p, text in sources.items() if "import unittest" in text or "from unittest" in text]
    assert not [p for p, text in sources.items() if p.name != "redact.py" and '"<redacted>"' in text]
