"""Shared test set-up: the loopback guard, and running notebooks under papermill once per session."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
GUARD = ROOT / "tests" / "guard"
NOTEBOOKS = ROOT / "notebooks"
EXECUTED = ROOT / "build" / "executed"

# Every process the tests start (kernels, MCP servers, proxies) loads tests/guard/sitecustomize.py,
# which refuses connections to anything but loopback; this process installs it too.
os.environ["WORKBOOK_LOOPBACK_ONLY"] = "1"
os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(GUARD), os.environ.get("PYTHONPATH")]))
for name in ("BACKEND", "BASE_URL", "MODEL"):
    os.environ.pop(name, None)  # notebooks under test take the default (offline) backend
sys.path.insert(0, str(GUARD))
import sitecustomize  # noqa: E402,F401  (installs the guard in this process)

sys.path.remove(str(GUARD))


class NotebookRun:
    """An executed notebook: its path, its nbformat node and its merged records."""

    def __init__(self, path: Path) -> None:
        import nbformat

        from helpers.records import read_records

        self.path = path
        self.nb = nbformat.read(str(path), as_version=4)
        self.records: dict[str, Any] = read_records(self.nb)

    def outputs_text(self) -> str:
        """Every output of every cell as one string (for leak checks)."""
        import json

        return json.dumps([c.get("outputs", []) for c in self.nb.cells])


_runs: dict[tuple, NotebookRun] = {}


def execute_notebook(name: str, **parameters: Any) -> NotebookRun:
    """Run notebooks/`name` under papermill with `parameters` (once per session per parameter set).

    A cell error fails the run unless the cell is tagged `raises-exception` (and such a cell must raise).
    """
    from helpers.run import run_notebook as run

    key = (name, tuple(sorted(parameters.items())))
    if key not in _runs:
        suffix = "".join(f"-{k}={v}" for k, v in sorted(parameters.items()) if k != "BACKEND")
        EXECUTED.mkdir(parents=True, exist_ok=True)
        output = EXECUTED / f"{Path(name).stem}{suffix}.ipynb"
        run(NOTEBOOKS / name, output, {"BACKEND": "standin", **parameters}, cwd=NOTEBOOKS)
        _runs[key] = NotebookRun(output)
    return _runs[key]


@pytest.fixture(scope="session")
def run_notebook():
    """The `execute_notebook` function, for notebook tests."""
    return execute_notebook


@pytest.fixture
def standin():
    """A fresh stand-in with no cassettes (only what a test scripts), stopped afterwards."""
    from helpers.standin import StandIn

    server = StandIn(cassettes=[]).start()
    try:
        yield server
    finally:
        server.stop()
