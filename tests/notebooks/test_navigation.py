"""scripts/navigation.py: idempotent previous/next links in every notebook and the README's tour table."""

from __future__ import annotations

import importlib.util
import re
import shutil
import sys
from pathlib import Path

import nbformat
import pytest

from helpers.settings import PROJECT_ROOT

ROOT = PROJECT_ROOT


def _navigation():
    spec = importlib.util.spec_from_file_location("navigation", ROOT / "scripts" / "navigation.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def copy(tmp_path):
    """A copy of the notebooks and the README to run the script on."""
    shutil.copytree(ROOT / "notebooks", tmp_path / "notebooks", ignore=shutil.ignore_patterns("exercises"))
    shutil.copy(ROOT / "README.md", tmp_path / "README.md")
    return tmp_path


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in [*folder.glob("notebooks/*.ipynb"), folder / "README.md"]}


def test_running_twice_changes_nothing(copy):
    navigation = _navigation()
    navigation.run(copy / "notebooks", copy / "README.md")
    first = _snapshot(copy)
    assert navigation.run(copy / "notebooks", copy / "README.md") == []
    assert _snapshot(copy) == first


def test_every_notebook_links_its_neighbours_and_the_tour_lists_them(copy):
    navigation = _navigation()
    navigation.run(copy / "notebooks", copy / "README.md")
    paths = navigation.notebooks(copy / "notebooks")
    readme = (copy / "README.md").read_text(encoding="utf-8")
    table = readme.split(navigation.START)[1].split(navigation.END)[0]
    for index, path in enumerate(paths):
        nb = nbformat.read(str(path), as_version=4)
        nbformat.validate(nb)
        navs = [c for c in nb.cells if "navigation" in c.metadata.get("tags", [])]
        assert len(navs) == 1 and nb.cells[-1] is navs[0] and navs[0]["id"] == "navigation"
        links = re.findall(r"\]\(([^)]+\.ipynb)\)", navs[0].source)
        expected = [p.name for p in paths[max(index - 1, 0) : index]] + [
            p.name for p in paths[index + 1 : index + 2]
        ]
        assert links == expected, path.name
        assert all((copy / "notebooks" / link).is_file() for link in links)
        title = navigation.read_title(path)
        row = next(line for line in table.splitlines() if f"`{path.name}`" in line)
        assert title.title in row and title.time in row and title.scenario in row and title.learn in row
        assert title.time.endswith(" min") and title.learn and title.scenario
        assert f"](notebooks/{path.name})" in row


def test_readme_rows_of_notebooks_not_written_yet_are_kept(copy):
    navigation = _navigation()
    (copy / "notebooks" / "02_mcp_server_and_client.ipynb").unlink()
    before = next(line for line in (copy / "README.md").read_text().splitlines() if "`02_mcp_server" in line)
    navigation.run(copy / "notebooks", copy / "README.md")
    assert before in (copy / "README.md").read_text()


def test_the_last_code_cell_still_records(copy):
    """The navigation cell is markdown after the records cell: the notebook contract still holds."""
    from tests.notebooks import test_notebook_contract

    _navigation().run(copy / "notebooks", copy / "README.md")
    paths = sorted((copy / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    assert [p.name for p in paths] == [p.name for p in test_notebook_contract.NOTEBOOKS]  # every notebook
    for path in paths:
        test_notebook_contract.test_notebook_contract(path)


def test_the_committed_notebooks_and_readme_are_up_to_date():
    """Fails after a notebook is added, renamed or retitled until `scripts/navigation.py` is run."""
    assert _navigation().main(["--check"]) == 0, "run: .venv/bin/python scripts/navigation.py"
