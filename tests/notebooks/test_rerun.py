"""Every cell is safe to re-run: each notebook, with every code cell run twice in a row, still passes.

A learner presses Shift+Enter twice, or runs a section again. The copy of the notebook made here has,
after each code cell, the same cell again, then a probe: the second run must not leave more
processes under the kernel than the first did (a cell that starts a server must stop or reuse the
one it started before, not start a second). The parameters cell runs once, as papermill injects
the parameters after it. Then papermill's own rule applies: any error output fails the run, so
every assert of the notebook must hold on the second run too.
"""

from __future__ import annotations

import copy
from typing import Any

import nbformat
import pytest
from papermill.exceptions import PapermillExecutionError

from tests.support.notebooks import EXECUTED, NOTEBOOKS, execute

pytestmark = pytest.mark.notebook

# Processes under this kernel (not zombies), by command line: the probe compares these.
COUNT = (
    "import psutil as _psutil\n"
    "_rerun_children = sorted(' '.join(p.cmdline()[1:3]) for p in _psutil.Process().children(recursive=True)\n"
    "                         if p.status() != _psutil.STATUS_ZOMBIE)\n"
)
FIRST = COUNT + "_rerun_after_first = _rerun_children\n"
SECOND = (
    COUNT + "assert len(_rerun_children) <= len(_rerun_after_first), "
    "f'running the cell again left more processes: {_rerun_after_first} -> {_rerun_children}'\n"
)


def _probe(source: str, cell_id: str) -> dict[str, Any]:
    cell = nbformat.v4.new_code_cell(source)
    cell["id"] = cell_id
    cell["metadata"] = {"tags": ["rerun-probe"]}
    return cell


def twice(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The notebook with each code cell (but the parameters cell) followed by itself and the probes."""
    nb = copy.deepcopy(nb)
    cells = []
    for cell in nb.cells:
        cells.append(cell)
        if cell.cell_type != "code" or "parameters" in cell.metadata.get("tags", []):
            continue
        again = copy.deepcopy(cell)
        again["id"] = f"{cell['id']}-again"
        cells += [_probe(FIRST, f"{cell['id']}-probe-1"), again, _probe(SECOND, f"{cell['id']}-probe-2")]
    nb.cells = cells
    return nb


@pytest.mark.parametrize("name", sorted(p.name for p in NOTEBOOKS.glob("[0-9][0-9]_*.ipynb")))
def test_every_cell_run_twice(name: str) -> None:
    stem = name.removesuffix(".ipynb")
    source = EXECUTED / f"{stem}-rerun-source.ipynb"  # the kernel still starts in notebooks/ (cwd)
    source.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(twice(nbformat.read(str(NOTEBOOKS / name), as_version=4)), str(source))
    run = execute(source, EXECUTED / f"{stem}-rerun.ipynb")
    probes = [c for c in run.nb.cells if "rerun-probe" in c.metadata.get("tags", [])]
    assert probes and all(c.get("execution_count") for c in probes), "the probes did not run"


def test_the_probe_catches_a_cell_that_starts_a_second_process() -> None:
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell("import subprocess, sys\nsleeper = subprocess.Popen(['sleep', '30'])")
    ]
    source = EXECUTED / "rerun-probe-check-source.ipynb"
    source.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(twice(nb), str(source))
    with pytest.raises(PapermillExecutionError, match="left more processes"):
        execute(source, EXECUTED / "rerun-probe-check.ipynb")
