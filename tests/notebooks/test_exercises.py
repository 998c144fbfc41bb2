"""The exercises edition stays in sync with the notebooks, and its checks are the solutions' own checks."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import nbformat
import pytest

from helpers.settings import PROJECT_ROOT

ROOT = PROJECT_ROOT
EXERCISES = sorted((ROOT / "notebooks" / "exercises").glob("*.ipynb"))


def _script(name: str):
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def _code(cells):
    return [c.source for c in cells if c.cell_type == "code"]


# Notebooks whose exercises edition must exist: 01-05 (00 is the set-up check).
REQUIRED = [
    "01_raw_json_tool_loop.ipynb",
    "02_mcp_server_and_client.ipynb",
    "03_azure_openai_kb_stdio.ipynb",
    "04_autogen_kaito_time.ipynb",
    "05_mcp_server_configs.ipynb",
]


def _with_solutions() -> list[str]:
    return [
        p.name
        for p in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
        if any("solution" in c.metadata.get("tags", []) for c in nbformat.read(str(p), as_version=4).cells)
    ]


def test_regenerating_gives_the_committed_files(tmp_path):
    fresh = _script("make_exercises").build(ROOT / "notebooks", tmp_path)
    assert [p.name for p in fresh] == [p.name for p in EXERCISES] == _with_solutions()
    assert set(REQUIRED) <= {p.name for p in EXERCISES}
    for path in fresh:
        assert path.read_bytes() == (ROOT / "notebooks" / "exercises" / path.name).read_bytes(), (
            f"{path.name} is out of date: run .venv/bin/python scripts/make_exercises.py"
        )


@pytest.mark.parametrize("path", EXERCISES, ids=lambda p: p.stem)
def test_each_stub_is_followed_by_the_solutions_check(path: Path):
    exercise = nbformat.read(str(path), as_version=4)
    solution = nbformat.read(str(ROOT / "notebooks" / path.name), as_version=4)
    by_id = {c["id"]: c for c in solution.cells}
    stubs = [i for i, c in enumerate(exercise.cells) if "exercise" in c.metadata.get("tags", [])]
    assert len(stubs) >= 2, f"{path.name} has {len(stubs)} exercise(s); each edition needs at least two"
    for index, following in zip(stubs, [*stubs[1:], len(exercise.cells)], strict=True):
        # each exercise has its own check, before the next exercise starts
        assert any(
            "exercise-check" in c.metadata.get("tags", []) for c in exercise.cells[index + 1 : following]
        )
        stub = exercise.cells[index]
        answer = by_id[stub.metadata["solution_cell"]]
        assert "solution" in answer.metadata.get("tags", []) and answer.metadata.get("exercise")
        assert "# YOUR CODE HERE" in stub.source and "NotImplementedError" in stub.source
        assert (
            exercise.cells[index - 1].cell_type == "markdown"
            and answer.metadata["exercise"] in exercise.cells[index - 1].source
        )
        check = next(c for c in exercise.cells[index + 1 :] if "exercise-check" in c.metadata.get("tags", []))
        solution_after = solution.cells[solution.cells.index(answer) + 1 :]
        assert check.source == next(
            c.source for c in solution_after if c.cell_type == "code" and "assert" in c.source
        )
        assert check.source == by_id[check["id"]].source  # verbatim, same cell


@pytest.mark.parametrize("path", EXERCISES, ids=lambda p: p.stem)
def test_putting_the_solutions_back_gives_the_full_edition(path: Path):
    """With each stub replaced by its solution, the exercises edition runs the very code the full edition runs
    (executed, checks included, by the notebook's own test)."""
    exercise = nbformat.read(str(path), as_version=4)
    solution = nbformat.read(str(ROOT / "notebooks" / path.name), as_version=4)
    by_id = {c["id"]: c for c in solution.cells}
    restored = [
        by_id[c.metadata["solution_cell"]] if "exercise" in c.metadata.get("tags", []) else c
        for c in exercise.cells
    ]
    assert _code(restored) == _code(solution.cells)


@pytest.mark.parametrize("path", EXERCISES, ids=lambda p: p.stem)
def test_exercises_follow_the_notebook_contract(path: Path):
    from tests.notebooks import test_notebook_contract

    nb = nbformat.read(str(path), as_version=4)
    nbformat.validate(nb)
    test_notebook_contract.test_notebook_contract(path)
    assert nb.cells[-1].metadata.get("tags") == ["navigation"] and f"(../{path.name})" in nb.cells[-1].source


def test_an_exercise_without_its_own_check_is_refused(tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("# 09 · Two exercises, one check"),
        nbformat.v4.new_code_cell("def f():\n    return 1", metadata={"tags": ["solution"]}),
        nbformat.v4.new_code_cell("def g():\n    return 2", metadata={"tags": ["solution"]}),
        nbformat.v4.new_code_cell("assert f() + g() == 3"),
    ]
    path = tmp_path / "09_two_exercises.ipynb"
    nbformat.write(nb, str(path))
    with pytest.raises(ValueError, match="exercise 1 has no check cell"):
        _script("make_exercises").exercise_notebook(path, [path.name])


def test_stub_keeps_signatures_docstrings_and_other_statements():
    stub = _script("make_exercises").stub_source(
        'import json\n\n\n@decorator\ndef f(a, b=1):\n    """Doc."""\n    return a + b\n\n\nprint(f(1))'
    )
    assert stub == (
        'import json\n\n\n@decorator\ndef f(a, b=1):\n    """Doc."""\n    # YOUR CODE HERE\n'
        '    raise NotImplementedError("write f, then run the check cell below")\n\n\nprint(f(1))'
    )
