"""Show JSON and tables in a notebook: collapsible HTML in JupyterLab, plain text everywhere else."""

from __future__ import annotations

import html
import json
from typing import Any

from IPython.display import display


def _text(data: Any) -> str:
    return data if isinstance(data, str) else json.dumps(data, indent=2, ensure_ascii=False, default=str)


def show_json(data: Any, title: str = "", open_: bool = True) -> None:
    """Display `data` as pretty JSON under `title` (a <details> block in HTML, text in plain outputs)."""
    text = _text(data)
    summary = html.escape(title or "JSON")
    markup = (
        f"<details{' open' if open_ else ''}><summary><b>{summary}</b></summary>"
        f"<pre style='max-height:32em;overflow:auto'>{html.escape(text)}</pre></details>"
    )
    display({"text/html": markup, "text/plain": f"--- {title} ---\n{text}" if title else text}, raw=True)


def show_table(rows: list[dict[str, Any]], title: str = "") -> None:
    """Display a list of dicts as an HTML table (and aligned text)."""
    if not rows:
        display({"text/plain": f"{title}: (no rows)"}, raw=True)
        return
    columns = list(rows[0])
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(str(r.get(c, '')))}</td>" for c in columns) + "</tr>"
        for r in rows
    )
    caption = f"<caption><b>{html.escape(title)}</b></caption>" if title else ""
    widths = {c: max(len(str(c)), *(len(str(r.get(c, ""))) for r in rows)) for c in columns}
    lines = ["  ".join(str(c).ljust(widths[c]) for c in columns)]
    lines += ["  ".join(str(r.get(c, "")).ljust(widths[c]) for c in columns) for r in rows]
    display(
        {
            "text/html": f"<table>{caption}<tr>{head}</tr>{body}</table>",
            "text/plain": (title + "\n" if title else "") + "\n".join(lines),
        },
        raw=True,
    )
