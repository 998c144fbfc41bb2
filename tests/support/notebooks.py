"""Run a notebook the way CI and teachers do: plain `papermill.execute_notebook`, no wrapper."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import nbformat
import papermill

import helpers.errors
from helpers.notebook.records import read_records
from helpers.settings import BUILD_DIR, PROJECT_ROOT

NOTEBOOKS = PROJECT_ROOT / "notebooks"
# How a notebook may stop with a weak model: an assertion in a notebook cell or one of these, with a message
# that explains (tests/interop, and the offline replays of real-model cassettes).
WORKBOOK_ERRORS = set(helpers.errors.__all__)
# Words an explanation uses to say who did what; a message that is only the model's own text has none.
EXPLAINING_WORDS = re.compile(r"\b(model|server|endpoint|tool|tools|reply|replied|answer|answered)\b", re.I)
ANSI = re.compile(r"\x1b\[[0-9;]*m")
# Under pytest-xdist each worker writes its own copies, so two workers never write one file at once.
EXECUTED = BUILD_DIR / "executed" / os.environ.get("PYTEST_XDIST_WORKER", "")


class NotebookRun:
    """An executed notebook: its path, its nbformat node and its merged records."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.nb = nbformat.read(str(path), as_version=4)
        self.records: dict[str, Any] = read_records(self.nb)

    def outputs_text(self) -> str:
        """Every output of every cell as one string (for leak checks)."""
        return json.dumps([c.get("outputs", []) for c in self.nb.cells])

    def expected_errors(self) -> list[tuple[str, str]]:
        """(exception type, shown text) of each error a cell showed on purpose with `expect_error`."""
        found = []
        for cell in self.nb.cells:
            for output in cell.get("outputs", []):
                text = (
                    output.get("data", {}).get("text/plain", "")
                    if output.get("output_type") == "display_data"
                    else ""
                )
                if text.startswith("Failed as expected ("):
                    found.append((text[len("Failed as expected (") : text.index(")")], text))
        return found

    def viewer_html(self) -> str:
        """The static HTML copy of the transcript viewer's output (the notebook's one `show_run(` cell)."""
        shown = [
            output["data"]["text/html"]
            for cell in self.nb.cells
            if cell.cell_type == "code" and "show_run(" in cell.source
            for output in cell.get("outputs", [])
            if "text/html" in output.get("data", {})
        ]
        assert len(shown) == 1, f"expected one transcript viewer output, found {len(shown)}"
        return shown[0]

    def error_outputs(self) -> list[dict[str, Any]]:
        """Outputs of type `error` (papermill already fails on them; kept for explicit asserts)."""
        return [o for c in self.nb.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]


def execute(
    source: Path,
    output: Path,
    parameters: dict[str, Any] | None = None,
    *,
    cwd: Path = NOTEBOOKS,
    timeout: int = 300,
) -> NotebookRun:
    """Execute `source` into `output` with papermill; any error output fails the run (papermill's rule)."""
    output.parent.mkdir(parents=True, exist_ok=True)
    papermill.execute_notebook(
        str(source),
        str(output),
        parameters=parameters or {},
        cwd=str(cwd),
        kernel_name="python3",
        progress_bar=False,
        # papermill writes the whole notebook after each cell by default (2-3 s a run for 04); the
        # output is still written once at the end, also when a cell fails.
        request_save_on_cell_execute=False,
        execution_timeout=timeout,
    )
    return NotebookRun(output)


def recording_against(endpoint: Any, monkeypatch: Any, cassette_dir: Path) -> dict[str, Any]:
    """Papermill parameters (and environment) for a `RECORD = True` run against `endpoint`, a stand-in
    posing as a live OpenAI-compatible server: its key in the environment, cassettes to `cassette_dir`."""
    monkeypatch.setenv("OPENAI_COMPATIBLE_API_KEY", endpoint.api_key)
    monkeypatch.setenv("WORKBOOK_CASSETTE_DIR", str(cassette_dir))
    return {"BACKEND": "openai-compatible", "BASE_URL": endpoint.base_url, "RECORD": True}


def last_frame(traceback: list[str]) -> str:
    """The innermost frame of a kernel traceback: 'Cell In[12], line 5' or 'File /path/x.py:10, in f()'."""
    lines = [line.strip() for entry in traceback for line in ANSI.sub("", entry).splitlines()]
    frames = [line for line in lines if line.startswith(("Cell In[", "File "))]
    return frames[-1] if frames else ""


def explains(evalue: str) -> bool:
    """True when an error message reads as an explanation (not empty, not only the model's words)."""
    return len(evalue.strip()) >= 30 and bool(EXPLAINING_WORDS.search(evalue))
