"""Run a notebook headless with papermill, allowing errors only in cells tagged `raises-exception`.

papermill 2.7 executes past a tagged cell's error (nbclient honours the tag) but then fails the
whole run on any error output. This wrapper keeps papermill's execution and parameters, and
fails only on an error in an untagged cell, or on a tagged cell that did not raise.

    python -m helpers.run notebooks/04_autogen_kaito_time.ipynb out.ipynb -p BACKEND openai-compatible \
        -p BASE_URL http://localhost:8000/v1
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any
from unittest import mock

import nbformat
import papermill
import papermill.execute

TAG = "raises-exception"


class NotebookFailed(RuntimeError):
    """A cell failed that was not meant to, or a demo cell meant to fail did not."""


def check_errors(nb: Any) -> None:
    """Raise NotebookFailed for an error in an untagged cell or a tagged cell without an error."""
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
        tagged = TAG in cell.metadata.get("tags", [])
        if errors and not tagged:
            error = errors[0]
            raise NotebookFailed(f"cell {index} failed: {error.ename}: {error.evalue}\n--- source ---\n{cell.source}")
        if tagged and not errors and cell.get("execution_count") is not None:
            raise NotebookFailed(f"cell {index} is tagged {TAG} but did not raise:\n{cell.source}")


def run_notebook(source: str | Path, output: str | Path, parameters: dict[str, Any] | None = None,
                 cwd: str | Path | None = None, timeout: int = 240) -> Any:
    """Execute `source` into `output` with papermill; return the executed nbformat node."""
    with mock.patch.object(papermill.execute, "raise_for_execution_errors", lambda nb, path: None):
        papermill.execute_notebook(str(source), str(output), parameters=parameters or {},
                                   cwd=str(cwd or Path(source).parent), kernel_name="python3",
                                   progress_bar=False, execution_timeout=timeout)
    nb = nbformat.read(str(output), as_version=4)
    check_errors(nb)
    return nb


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source")
    parser.add_argument("output")
    parser.add_argument("-p", "--parameter", nargs=2, action="append", default=[], metavar=("NAME", "VALUE"))
    args = parser.parse_args(argv)
    run_notebook(args.source, args.output, dict(args.parameter))
    print(f"ran {args.source} -> {args.output}")


if __name__ == "__main__":
    main()
