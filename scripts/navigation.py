"""Previous/next links at the end of every notebook, and the README's tour table, from the title cells.

Idempotent: run it after adding, renaming or retitling a notebook; a second run changes nothing.
Each notebook ends with one markdown cell (id and tag `navigation`) linking the previous and the
next notebook. The README's table between `<!-- tour:start -->` and `<!-- tour:end -->` gets one
row per notebook: its title and "After this notebook you can" sentence, time, source scenario.
Rows of notebooks not written yet are kept as they are.

Usage: .venv/bin/python scripts/navigation.py [--check]   (--check: exit 1 if anything would change)
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
README = ROOT / "README.md"
START, END = "<!-- tour:start -->", "<!-- tour:end -->"
NAV_ID = "navigation"
HEADER = "| Notebook | What you learn | Time | Source scenario |\n| --- | --- | --- | --- |"


@dataclass
class Title:
    """What a notebook's first cell says about it."""

    name: str
    number: str
    title: str
    learn: str
    time: str
    scenario: str


def _field(text: str, label: str) -> str:
    match = re.search(rf"\*\*{label}\*\*\s*(.+?)(?=\n\s*\n|\n\*\*|\Z)", text, re.S)
    return " ".join(match.group(1).split()) if match else ""


def read_title(path: Path) -> Title:
    """Parse the title cell: '# NN · Title', '**After this notebook you can** ...', scenario and time."""
    source = nbformat.read(str(path), as_version=4).cells[0].source
    head = re.match(r"#\s*(\d\d)\s*·\s*(.+)", source)
    if not head:
        raise ValueError(f"{path.name}: the first cell must start with '# NN · Title'")
    learn = _field(source, "After this notebook you can")
    sentence = re.match(r"(.+?[.!?])(\s|$)", learn)
    learn = sentence.group(1) if sentence else learn
    minutes = re.search(r"\*\*Time:\*\*\s*(?:about\s+)?(\d+)\s*min", source)
    scenario = re.split(r":\s|;\s|\.\s|\.$", _field(source, "Source scenario:"), maxsplit=1)[0].strip()
    return Title(path.name, head.group(1), head.group(2).strip(), learn,
                 f"{minutes.group(1)} min" if minutes else "", scenario)


def notebooks(folder: Path = NOTEBOOKS) -> list[Path]:
    return sorted(folder.glob("[0-9][0-9]_*.ipynb"))


def _link(title: Title) -> str:
    return f"[{title.number} · {title.title}]({title.name})"


def navigation_source(previous: Title | None, current: Title, following: Title | None) -> str:
    """The markdown of one notebook's navigation cell."""
    parts = [f"← Previous: {_link(previous)}" if previous else "← Previous: (this is the first notebook)",
             "[The tour](../README.md#the-tour)",
             f"Next: {_link(following)} →" if following else "Next: (this is the last notebook) →"]
    return "---\n\n**Workbook navigation** · " + " · ".join(parts)


def update_notebook(path: Path, source: str) -> bool:
    """Put `source` in the notebook's last cell (id `navigation`); True when the file changed."""
    original = path.read_text(encoding="utf-8")
    nb = nbformat.reads(original, as_version=4)
    nb.cells = [c for c in nb.cells if c.get("id") != NAV_ID and NAV_ID not in c.metadata.get("tags", [])]
    cell = nbformat.v4.new_markdown_cell(source, metadata={"tags": [NAV_ID]})
    cell["id"] = NAV_ID
    nb.cells.append(cell)
    text = nbformat.writes(nb)
    text += "" if text.endswith("\n") else "\n"  # as nbformat.write does
    if text == original:
        return False
    path.write_text(text, encoding="utf-8")
    return True


def _row(title: Title) -> str:
    learn = f"**{title.title}.** You can {title.learn}" if title.learn else f"**{title.title}**"
    return (f"| [`{title.name}`](notebooks/{title.name}) | {learn.replace('|', '/')} | {title.time} "
            f"| {title.scenario.replace('|', '/')} |")


def tour_table(titles: list[Title], old_table: str) -> str:
    """The tour table: generated rows for existing notebooks, old rows kept for those not written yet."""
    rows: dict[str, str] = {}
    for line in old_table.splitlines():
        found = re.match(r"\|\s*\[?`(\d\d_[^`]+\.ipynb)`", line)
        if found:
            rows[found.group(1)] = line
    rows.update({t.name: _row(t) for t in titles})
    return HEADER + "\n" + "\n".join(rows[name] for name in sorted(rows))


def update_readme(titles: list[Title], readme: Path = README) -> bool:
    """Regenerate the table between the tour markers; True when the README changed."""
    text = readme.read_text(encoding="utf-8")
    if START not in text or END not in text:
        raise SystemExit(f"{readme} has no {START} ... {END} markers around the tour table")
    before, rest = text.split(START, 1)
    old, after = rest.split(END, 1)
    new = f"{before}{START}\n{tour_table(titles, old)}\n{END}{after}"
    if new == text:
        return False
    readme.write_text(new, encoding="utf-8")
    return True


def run(folder: Path = NOTEBOOKS, readme: Path = README) -> list[str]:
    """Update every notebook's navigation cell and the README; return the names of the files changed."""
    paths = notebooks(folder)
    titles = [read_title(p) for p in paths]
    changed = []
    for index, path in enumerate(paths):
        source = navigation_source(titles[index - 1] if index else None, titles[index],
                                   titles[index + 1] if index + 1 < len(titles) else None)
        if update_notebook(path, source):
            changed.append(path.name)
    if update_readme(titles, readme):
        changed.append(readme.name)
    return changed


def main(argv: list[str]) -> int:
    if "--check" in argv:
        import shutil
        import tempfile

        with tempfile.TemporaryDirectory() as tmp:
            copy = Path(tmp) / "notebooks"
            shutil.copytree(NOTEBOOKS, copy, ignore=shutil.ignore_patterns("exercises"))
            shutil.copy(README, Path(tmp) / "README.md")
            changed = run(copy, Path(tmp) / "README.md")
        print("up to date" if not changed else f"out of date: {', '.join(changed)} (run scripts/navigation.py)")
        return 1 if changed else 0
    changed = run()
    print(f"updated: {', '.join(changed)}" if changed else "nothing to change")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
