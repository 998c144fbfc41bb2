"""Checkpoint values a notebook records for its tests and readers.

`record(key=value, ...)` displays the values as an output of MIME type RECORDS_MIME; later
outputs update earlier keys. `read_records(path)` merges them back from an executed notebook.
This is the scrapbook idea without its dependency: a kernel cannot edit its own notebook.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

RECORDS_MIME = "application/vnd.workbook.records+json"


def record(**values: Any) -> None:
    """Display `values` (JSON-serialisable) as a records output.

    Raises:
        TypeError: a value is not JSON-serialisable; the message names its key.
    """
    for key, value in values.items():
        try:
            json.dumps(value)
        except (TypeError, ValueError) as exc:
            raise TypeError(f"record({key}=...) must be JSON-serialisable: {exc}") from exc
    from IPython.display import display

    text = "\n".join(f"{k} = {json.dumps(v, ensure_ascii=False)[:200]}" for k, v in values.items())
    display({RECORDS_MIME: values, "text/plain": "Recorded checkpoint values:\n" + text}, raw=True)


def read_records(notebook: str | Path | Any) -> dict[str, Any]:
    """Merge every records output of an executed notebook (a path or an nbformat node), in cell order."""
    import nbformat

    nb = nbformat.read(str(notebook), as_version=4) if isinstance(notebook, (str, Path)) else notebook
    merged: dict[str, Any] = {}
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if RECORDS_MIME in data:
                value = data[RECORDS_MIME]
                merged.update(json.loads(value) if isinstance(value, str) else value)
    return merged
