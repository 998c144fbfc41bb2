"""helpers.notebook.expected: errors shown on purpose as ordinary output; the cell fails when the lesson is wrong."""

from __future__ import annotations

import httpx
import pytest

from helpers.notebook.expected import describe, expect_error, leaf_errors
from helpers.settings import PROJECT_ROOT
from tests.support.notebooks import execute


def test_leaf_errors_unwraps_nested_groups() -> None:
    inner = ValueError("Tool 'get_time' not found")
    group = ExceptionGroup("outer", [ExceptionGroup("inner", [inner]), KeyError("x")])
    assert leaf_errors(group)[0] is inner and len(leaf_errors(group)) == 2
    plain = RuntimeError("plain")
    assert leaf_errors(plain) == [plain]


def test_expected_error_inside_a_group_is_kept_and_shown(capsys) -> None:
    with expect_error(ValueError, explain="ask tools/list") as caught:
        raise ExceptionGroup("unhandled errors in a TaskGroup", [ValueError("Tool 'get_time' not found")])
    assert isinstance(caught.leaves[0], ValueError) and caught.type_name == "ValueError"
    assert caught.message == "Tool 'get_time' not found"
    out = capsys.readouterr()
    assert "Failed as expected (ValueError)" in out.out and "inside it: ValueError" in out.out
    assert "What it means: ask tools/list" in out.out and out.err == ""


def test_describe_names_the_cause() -> None:
    try:
        try:
            raise httpx.ConnectError("All connection attempts failed")
        except httpx.ConnectError as exc:
            raise ConnectionError("Connection error.") from exc
    except ConnectionError as error:
        text = describe(error)
    assert text.splitlines() == [
        "ConnectionError: Connection error.",
        "  caused by: ConnectError: All connection attempts failed",
    ]


def test_a_block_that_does_not_fail_fails_the_cell() -> None:
    with pytest.raises(AssertionError, match="meant to fail with KeyError"), expect_error(KeyError):
        pass


def test_a_different_error_is_not_swallowed() -> None:
    with pytest.raises(ZeroDivisionError), expect_error(KeyError):
        1 / 0  # noqa: B018


def test_keyboard_interrupt_is_not_swallowed() -> None:
    with pytest.raises(KeyboardInterrupt), expect_error(Exception):
        raise KeyboardInterrupt


def test_under_plain_papermill_an_expected_error_is_ordinary_output(tmp_path) -> None:
    """The whole point: papermill (which fails on any error output) runs through such a cell."""
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell(
            "from helpers.notebook.expected import expect_error\n"
            "with expect_error(KeyError, explain='no such key') as caught:\n"
            "    {}['missing']"
        ),
        nbformat.v4.new_code_cell("print('after:', caught.type_name)"),
    ]
    source = tmp_path / "expected.ipynb"
    nbformat.write(nb, str(source))
    run = execute(source, tmp_path / "out.ipynb", cwd=PROJECT_ROOT)
    assert run.error_outputs() == []
    shown = run.nb.cells[0].outputs[0]
    assert (
        shown["output_type"] == "display_data"
        and "Failed as expected: KeyError" in shown["data"]["text/html"]
    )
    assert run.nb.cells[1].outputs[0]["text"] == "after: KeyError\n"
