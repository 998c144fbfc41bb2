"""Optional sections can be skipped, and each notebook states an honest time (issue 13, "Honest time").

A section is optional when its `## ` heading says "(optional": "## 8 · Deep dive (optional): ...", or
notebook 00's section 6, a lesson of its own. Two static checks on every notebook, with no kernel:

* a learner who skips an optional section can still run the rest: no later cell outside an optional
  section reads a name that only an optional section's code cells define, except through
  `globals().get("name")`, which tolerates the skip;
* the time the first cell states ("**Time:** about N minutes") is within 25 % of an estimate that
  reproduces the workbook's stated times: 120 words of markdown a minute plus 0.75 minute per code cell.
  A notebook that grows by half must state a new time.
"""

from __future__ import annotations

import re
import symtable
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest
from IPython.core.inputtransformer2 import TransformerManager

from helpers.settings import PROJECT_ROOT

NOTEBOOKS = sorted((PROJECT_ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
WORDS_PER_MINUTE = 120
MINUTES_PER_CODE_CELL = 0.75
TOLERANCE = 0.25
HEADING = re.compile(r"^##\s+(.+)$", re.M)  # a section; "### ..." is a part of one
STATED = re.compile(r"\*\*Time:\*\*\s*(?:about\s+)?(\d+)\s*min")  # as scripts/navigation.py reads it


@dataclass(frozen=True)
class Leak:
    name: str
    defined_in: str  # cell id, in an optional section
    read_in: str  # cell id, later, outside any optional section

    def __str__(self) -> str:
        return f"{self.name!r}: defined in cell {self.defined_in} (optional), read in cell {self.read_in}"


def cell_names(source: str) -> tuple[set[str], set[str]]:
    """(names the cell binds at top level, global names it reads and does not bind at top level).

    `globals().get("x")` reads no name: that is how a later cell tolerates a skipped section. A name the
    cell both reads and binds at top level (`x = x + 1`) counts as bound: this check errs towards silence.
    """
    table = symtable.symtable(TransformerManager().transform_cell(source), "<cell>", "exec")  # magics: calls
    top = {s.get_name() for s in table.get_symbols() if s.is_assigned() or s.is_imported()}
    read = {s.get_name() for s in table.get_symbols() if s.is_referenced()}
    scopes = list(table.get_children())  # functions, classes, lambdas, comprehensions
    while scopes:
        scope = scopes.pop()
        read |= {s.get_name() for s in scope.get_symbols() if s.is_global() and s.is_referenced()}
        scopes += scope.get_children()
    return top, read - top


def optional_flags(nb: nbformat.NotebookNode) -> list[bool]:
    """For each cell: is it in an optional section (its last `## ` heading so far says "(optional")?"""
    flags, optional = [], False
    for cell in nb.cells:
        headings = HEADING.findall(cell.source) if cell.cell_type == "markdown" else []
        if headings:
            optional = "(optional" in headings[-1]
        flags.append(optional)
    return flags


def leaks(nb: nbformat.NotebookNode) -> list[Leak]:
    """Names only optional sections define, read by a later cell outside them."""
    core: set[str] = set()
    optional_only: dict[str, str] = {}  # name -> id of the first optional cell defining it
    found = []
    for cell, optional in zip(nb.cells, optional_flags(nb), strict=True):
        if cell.cell_type != "code":
            continue
        top, free = cell_names(cell.source)
        if optional:
            for name in top - core:
                optional_only.setdefault(name, cell.get("id", "?"))
            continue
        found += [
            Leak(name, optional_only[name], cell.get("id", "?"))
            for name in sorted(free & optional_only.keys())
        ]
        core |= top
        for name in top:
            optional_only.pop(name, None)
    return found


def estimated_minutes(nb: nbformat.NotebookNode) -> float:
    words = sum(len(c.source.split()) for c in nb.cells if c.cell_type == "markdown")
    return words / WORDS_PER_MINUTE + MINUTES_PER_CODE_CELL * sum(c.cell_type == "code" for c in nb.cells)


def stated_minutes(nb: nbformat.NotebookNode) -> int | None:
    found = STATED.search(nb.cells[0].source)
    return int(found.group(1)) if found else None


def time_is_honest(nb: nbformat.NotebookNode) -> bool:
    stated, estimate = stated_minutes(nb), estimated_minutes(nb)
    return stated is not None and abs(stated - estimate) <= TOLERANCE * estimate


def _read(path: Path) -> nbformat.NotebookNode:
    return nbformat.read(str(path), as_version=4)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_skipping_an_optional_section_breaks_no_later_cell(path: Path):
    found = [str(leak) for leak in leaks(_read(path))]
    assert not found, (
        "A learner who skips an optional section gets a NameError here; read the name with "
        "globals().get(...) and say what is missing, or do not mark the section optional:\n"
        + "\n".join(found)
    )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_the_stated_time_is_honest(path: Path):
    nb = _read(path)
    stated, estimate = stated_minutes(nb), estimated_minutes(nb)
    assert stated is not None, "the first cell says '**Time:** about N minutes ...'"
    assert time_is_honest(nb), (
        f"The first cell says about {stated} minutes; {WORDS_PER_MINUTE} words of markdown a minute and "
        f"{MINUTES_PER_CODE_CELL} minute per code cell give {estimate:.0f}. State the time it takes (and the "
        "core and the deep dives), in the first cell, then run scripts/navigation.py for the tour table."
    )


def _notebook(*cells: tuple[str, str]) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    for index, (kind, source) in enumerate(cells):
        cell = nbformat.v4.new_markdown_cell(source) if kind == "md" else nbformat.v4.new_code_cell(source)
        cell["id"] = f"t{index}"
        nb.cells.append(cell)
    return nb


def _leaky(clean_up: str) -> nbformat.NotebookNode:
    return _notebook(
        ("md", "# 99 · A test notebook\n\n**Time:** about 5 minutes."),
        ("code", "shared = 1"),
        ("md", "## 1 · The core"),
        ("code", "core_value = shared + 1"),
        ("md", "## 2 · Deep dive (optional): more\n\nText."),
        ("code", "extra = 2\nshared = 3\nhelper = lambda: 4\nlater_defined = 5\n%time pass"),
        ("md", "### 2.1 · Still the deep dive"),
        ("code", "import json as deep_json\n\ndef deep_function():\n    return extra"),
        ("md", "## 3 · Clean up"),
        ("code", clean_up),
        ("md", "## 4 · Deep dive (optional): the last one"),
        ("code", "print(deep_function(), extra)"),
    )


def test_the_leak_check_fails_on_a_skip_that_breaks_a_later_cell():
    common = (
        "later_defined = 7\nprint(later_defined, shared, globals().get('helper'))\n"
        "def local(extra):\n    return extra\n"
    )
    broken = _leaky(common + "print([extra for _ in range(1)], deep_json.dumps(1))")
    assert [(leak.name, leak.defined_in, leak.read_in) for leak in leaks(broken)] == [
        ("deep_json", "t7", "t9"),
        ("extra", "t5", "t9"),
    ]
    tolerant = _leaky(common + "print(globals().get('extra'), 'deep_json' in globals())")
    assert leaks(tolerant) == []


def test_the_time_check_fails_when_a_notebook_doubles():
    nb = _read(PROJECT_ROOT / "notebooks" / "01_raw_json_tool_loop.ipynb")
    assert time_is_honest(nb)
    nb.cells += [nbformat.from_dict(dict(c)) for c in nb.cells[1:]]
    assert not time_is_honest(nb), (stated_minutes(nb), estimated_minutes(nb))
    nb.cells[0].source = nb.cells[0].source.replace("**Time:**", "**Time**")
    assert stated_minutes(nb) is None and not time_is_honest(nb)
