"""Every notebook follows the workbook's contract (STYLE.md, DESIGN.md), checked without running it."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

from helpers.settings import PROJECT_ROOT

ROOT = PROJECT_ROOT
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def test_there_are_notebooks():
    assert NOTEBOOKS and NOTEBOOKS[0].name == "00_setup.ipynb"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_contract(path: Path):
    nb = nbformat.read(str(path), as_version=4)
    number = path.name[:2]
    first = nb.cells[0]
    assert first.cell_type == "markdown" and first.source.startswith(f"# {number} · "), (
        "title cell 'NN · Title'"
    )
    assert "Time:" in first.source and "scenario" in first.source.lower()
    parameters = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(parameters) == 1, "exactly one cell tagged parameters"
    for name, default in (("BACKEND", '"standin"'), ("BASE_URL", '""'), ("MODEL", '""')):
        assert re.search(rf"^{name} = {re.escape(default)}", parameters[0].source, re.M), (
            f"{name} = {default}"
        )
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(not c.get("outputs") and c.get("execution_count") is None for c in code), (
        "committed without outputs"
    )
    for cell in code:
        assert "%pip" not in cell.source and "sys.path" not in cell.source and "import *" not in cell.source
    assert "record(" in code[-1].source, "the last cell records checkpoint values"
    assert re.search(r"^## 1 ", "\n".join(c.source for c in nb.cells if c.cell_type == "markdown"), re.M)
    prose = sum(len(c.source) for c in nb.cells if c.cell_type == "markdown")
    assert prose > 0.4 * sum(len(c.source) for c in code), "notebooks read as a lesson"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_each_notebook_has_a_test_and_a_tour_row(path: Path):
    assert (ROOT / "tests" / "notebooks" / f"test_nb_{path.stem}.py").is_file()
    assert f"`{path.name}`" in (ROOT / "README.md").read_text(encoding="utf-8")
