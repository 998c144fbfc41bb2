"""Generate the exercises edition (`notebooks/exercises/`) from the notebooks.

A code cell tagged `solution` (its `exercise` metadata says what to write) becomes two cells: a
markdown prompt, and a code stub where each function keeps its signature and docstring and its
body is `# YOUR CODE HERE`. The next code cell with an `assert` is the exercise's check; it is
copied verbatim and tagged `exercise-check`. Each exercise needs its own check, before the next
exercise starts. Every other cell is copied as it is, except the
navigation cell, which links the exercise notebooks and the full edition instead.
Notebooks without a solution cell get no exercises edition.

Usage: .venv/bin/python scripts/make_exercises.py [--check]   (--check: exit 1 if out of date)
"""

from __future__ import annotations

import ast
import sys
import tempfile
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
EXERCISES = NOTEBOOKS / "exercises"
STUB = "# YOUR CODE HERE"


def stub_source(source: str) -> str:
    """The solution with every top-level function body replaced by a stub; other statements kept."""
    tree = ast.parse(source)
    lines = source.splitlines()
    out: list[str] = []
    cursor = 0  # lines before it are already written
    for node in tree.body:
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        first = node.decorator_list[0].lineno - 1 if node.decorator_list else node.lineno - 1
        out.extend(lines[cursor:first])
        body = node.body
        has_doc = isinstance(body[0], ast.Expr) and isinstance(getattr(body[0], "value", None), ast.Constant) \
            and isinstance(body[0].value.value, str)
        keep_until = body[0].end_lineno if has_doc else body[0].lineno - 1
        out.extend(lines[first:keep_until])
        indent = " " * body[0].col_offset
        out.append(f"{indent}{STUB}")
        out.append(f'{indent}raise NotImplementedError("write {node.name}, then run the check cell below")')
        cursor = node.end_lineno
    out.extend(lines[cursor:])
    return "\n".join(out).rstrip() if out else STUB


def _has_solutions(nb: nbformat.NotebookNode) -> bool:
    return any("solution" in c.metadata.get("tags", []) for c in nb.cells)


def _clean(cell: nbformat.NotebookNode) -> nbformat.NotebookNode:
    cell = nbformat.from_dict(dict(cell))
    if cell.cell_type == "code":
        cell.outputs, cell.execution_count = [], None
    return cell


def _navigation(names: list[str], name: str) -> nbformat.NotebookNode:
    index = names.index(name)
    parts = []
    if index:
        parts.append(f"← Previous exercises: [{names[index - 1]}]({names[index - 1]})")
    parts.append(f"Full edition with solutions: [{name}](../{name})")
    if index + 1 < len(names):
        parts.append(f"Next exercises: [{names[index + 1]}]({names[index + 1]}) →")
    cell = nbformat.v4.new_markdown_cell("---\n\n**Exercises edition** · " + " · ".join(parts),
                                         metadata={"tags": ["navigation"]})
    cell["id"] = "navigation"
    return cell


def exercise_notebook(path: Path, names: list[str]) -> nbformat.NotebookNode:
    """The exercises edition of the notebook at `path` (`names`: every notebook that has one)."""
    nb = nbformat.read(str(path), as_version=4)
    cells = [c for c in nb.cells if c.get("id") != "navigation" and "navigation" not in c.metadata.get("tags", [])]
    out: list[nbformat.NotebookNode] = []
    number = 0
    waiting_for_check = False
    for index, cell in enumerate(cells):
        tags = cell.metadata.get("tags", [])
        if "solution" in tags:
            if waiting_for_check:
                raise ValueError(f"{path.name}: exercise {number} has no check cell (a code cell with an assert) "
                                 "before the next exercise")
            number += 1
            prompt = cell.metadata.get("exercise") or "Write the code this section describes."
            note = nbformat.v4.new_markdown_cell(
                f"### ✏️ Exercise {number}\n\n{prompt}\n\nWrite it in the next cell, then run the check cell after "
                f"it. Stuck? The full edition, [`{path.name}`](../{path.name}), has a solution.",
                metadata={"tags": ["exercise-prompt"]})
            note["id"] = f"{cell['id']}-prompt"
            stub = nbformat.v4.new_code_cell(stub_source(cell.source), metadata={"tags": ["exercise"],
                                                                                 "solution_cell": cell["id"]})
            stub["id"] = cell["id"]
            out += [note, stub]
            waiting_for_check = True
            continue
        cell = _clean(cell)
        if waiting_for_check and cell.cell_type == "code" and "assert" in cell.source:
            cell.metadata["tags"] = [*tags, "exercise-check"]
            waiting_for_check = False
        out.append(cell)
        if index == 0:
            intro = nbformat.v4.new_markdown_cell(
                f"**Exercises edition.** {_count(number_of_solutions(cells))} left for you to "
                "write, each marked ✏️ with what to write and followed by a check cell. Everything else runs as in "
                f"the full edition, [`{path.name}`](../{path.name}).", metadata={"tags": ["exercise-intro"]})
            intro["id"] = "exercises-intro"
            out.append(intro)
    if waiting_for_check:
        raise ValueError(f"{path.name}: the last solution cell has no check cell (a code cell with an assert) after it")
    out.append(_navigation(names, path.name))
    nb.cells = out
    return nb


def _count(n: int) -> str:
    return "One cell of this notebook is" if n == 1 else f"{n} cells of this notebook are"


def number_of_solutions(cells: list[nbformat.NotebookNode]) -> int:
    return sum("solution" in c.metadata.get("tags", []) for c in cells)


def build(source: Path = NOTEBOOKS, target: Path = EXERCISES) -> list[Path]:
    """Write the exercises edition of every notebook in `source` that has solution cells; return the paths."""
    paths = [p for p in sorted(source.glob("[0-9][0-9]_*.ipynb")) if _has_solutions(nbformat.read(str(p), 4))]
    names = [p.name for p in paths]
    target.mkdir(parents=True, exist_ok=True)
    written = []
    for path in paths:
        nb = exercise_notebook(path, names)
        nbformat.validate(nb)
        out = target / path.name
        nbformat.write(nb, str(out))
        written.append(out)
    for stale in set(target.glob("*.ipynb")) - set(written):
        stale.unlink()
    return written


def main(argv: list[str]) -> int:
    if "--check" in argv:
        with tempfile.TemporaryDirectory() as tmp:
            fresh = build(NOTEBOOKS, Path(tmp))
            stale = [p.name for p in fresh if not (EXERCISES / p.name).is_file()
                     or (EXERCISES / p.name).read_bytes() != p.read_bytes()]
            extra = {p.name for p in EXERCISES.glob("*.ipynb")} - {p.name for p in fresh}
        if stale or extra:
            print(f"out of date: {', '.join(sorted([*stale, *extra]))} (run scripts/make_exercises.py)")
            return 1
        print("up to date")
        return 0
    for path in build():
        print(f"wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
