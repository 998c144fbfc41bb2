"""The requirement files and pyproject.toml: pinned once, a lean learner's set, and the helpers
package declaring everything it imports."""

from __future__ import annotations

import ast
import importlib.metadata
import re
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FILES = ("requirements.txt", "requirements-live.txt", "requirements-dev.txt", "requirements-bootstrap.txt")
TEST_ONLY = {"pytest", "pytest-timeout", "pytest-xdist", "ruff", "playwright"}
LIVE_ONLY = {"kubernetes"}


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _name(spec: str) -> str:
    return _norm(re.split(r"[\[<>=!~;\s]", spec.strip(), maxsplit=1)[0])


def _lines(file: str) -> list[str]:
    return [
        line.split(" #")[0].strip()
        for line in (ROOT / file).read_text().splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]


def _pins(file: str) -> dict[str, str]:
    return {_name(line): line for line in _lines(file) if not line.startswith("-")}


def _pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


@pytest.mark.parametrize("file", FILES)
def test_every_requirement_is_pinned(file: str) -> None:
    for line in _lines(file):
        if line.startswith(("-r ", "-e ")):
            continue
        assert re.search(r"==\d", line), f"{file}: {line!r} is not pinned with =="


def test_each_package_is_pinned_in_one_place() -> None:
    seen: dict[str, str] = {}
    for file in FILES:
        for name in _pins(file):
            assert name not in seen, f"{name} is pinned in both {seen[name]} and {file}"
            seen[name] = file


def test_learner_set_is_lean() -> None:
    learner = set(_pins("requirements.txt"))
    assert not learner & (TEST_ONLY | LIVE_ONLY), "test-only or live-only packages in requirements.txt"
    assert "-e ." in _lines("requirements.txt")  # the helpers package itself
    assert TEST_ONLY <= set(_pins("requirements-dev.txt"))
    assert LIVE_ONLY <= set(_pins("requirements-live.txt"))


def test_dev_set_holds_learner_and_live_sets() -> None:
    dev = _lines("requirements-dev.txt")
    assert "-r requirements.txt" in dev and "-r requirements-live.txt" in dev


def test_pyproject_names_packages_unpinned_and_each_is_pinned_in_requirements() -> None:
    project = _pyproject()
    pinned = set(_pins("requirements.txt"))
    assert project["optional-dependencies"]["live"] == ["kubernetes"]
    assert LIVE_ONLY <= set(_pins("requirements-live.txt"))
    for spec in project["dependencies"]:
        assert "==" not in spec, f"pyproject.toml pins {spec!r}: versions live in requirements*.txt"
        assert _name(spec) in pinned, f"pyproject.toml names {spec!r}, which requirements.txt does not pin"


def _imported_modules() -> dict[str, str]:
    """Top-level third-party module -> a file of helpers/ that imports it."""
    found: dict[str, str] = {}
    for path in sorted((ROOT / "helpers").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                if top not in sys.stdlib_module_names and top not in ("helpers", "__future__"):
                    found.setdefault(top, str(path.relative_to(ROOT)))
    return found


def test_pyproject_declares_every_package_helpers_imports() -> None:
    project = _pyproject()
    declared = {_name(spec) for spec in project["dependencies"]}
    declared |= {_name(spec) for specs in project["optional-dependencies"].values() for spec in specs}
    distributions = importlib.metadata.packages_distributions()
    missing = []
    for module, where in _imported_modules().items():
        candidates = {_norm(d) for d in distributions.get(module, [])} or {_norm(module)}
        if not candidates & declared:
            missing.append(f"{module} (imported by {where}; distribution {sorted(candidates)})")
    assert not missing, "pyproject.toml [project] dependencies lack: " + ", ".join(missing)


def test_importing_mcp_builds_no_grammar_parser() -> None:
    """jsonschema >= 4.24 pulls in rfc3987-syntax, which builds a lark parser at import (1.1 s in every
    process that imports mcp: each stdio server, the Time server, each kernel). requirements.txt pins
    4.23.0 for that reason; this fails if the slow module comes back, e.g. after a version bump."""
    import subprocess

    probe = "import sys, mcp.server.fastmcp; print(sorted(m for m in sys.modules if m.split('.')[0] in {'lark', 'rfc3987_syntax'}))"
    loaded = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert loaded == "[]", f"Importing mcp loaded {loaded}: see the jsonschema pin in requirements.txt"
