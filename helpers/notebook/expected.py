"""Show an error on purpose, in a troubleshooting cell, without stopping the notebook.

    with expect_error(openai.AuthenticationError, explain="401: the key was refused ...") as caught:
        await client.chat.completions.create(...)

The block must raise one of the given types (anyio's exception groups are looked into). Then the
cell shows the real exception, its type and message, and the workbook's explanation, as ordinary
output (not an error output), so the bare `papermill` CLI and JupyterLab's Run All both go on.
If the block raises nothing, or raises something else, the cell fails: the lesson was wrong.
"""

from __future__ import annotations

import html
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

__all__ = ["Caught", "describe", "expect_error", "leaf_errors"]


def leaf_errors(error: BaseException) -> list[BaseException]:
    """The innermost errors of an exception group (anyio wraps errors raised inside an MCP session)."""
    if isinstance(error, BaseExceptionGroup):
        return [leaf for inner in error.exceptions for leaf in leaf_errors(inner)]
    return [error]


def _one_line(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}" if str(error) else type(error).__name__


def describe(error: BaseException) -> str:
    """The error, the errors an exception group wraps, and the cause of each, one per line."""
    lines = [_one_line(error)]
    leaves = leaf_errors(error)
    if leaves != [error]:
        lines += [f"  inside it: {_one_line(leaf)}" for leaf in leaves]
    for leaf in leaves:
        if leaf.__cause__ is not None:
            lines.append(f"  caused by: {_one_line(leaf.__cause__)}")
    return "\n".join(lines)


@dataclass
class Caught:
    """What an `expect_error` block raised, shown as ordinary output."""

    expected: tuple[type[BaseException], ...]
    explain: str
    error: BaseException | None = None
    leaves: list[BaseException] = field(default_factory=list)

    @property
    def message(self) -> str:
        """The innermost errors' messages, joined (the text worth reading)."""
        return " | ".join(str(leaf) for leaf in self.leaves)

    @property
    def type_name(self) -> str:
        """The name of the expected exception that was raised (the leaf's, for a group)."""
        match = next((leaf for leaf in self.leaves if isinstance(leaf, self.expected)), self.error)
        return type(match).__name__

    def __repr__(self) -> str:
        lines = (
            [f"Failed as expected ({self.type_name}):", describe(self.error)] if self.error else ["(not run)"]
        )
        if self.explain:
            lines += ["", f"What it means: {self.explain}"]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        if self.error is None:
            return "<i>(not run)</i>"
        explain = f"<div><b>What it means:</b> {html.escape(self.explain)}</div>" if self.explain else ""
        return (
            "<div class='workbook-expected-error' style='border-left:4px solid #c62828;padding:4px 8px'>"
            f"<div style='color:#c62828;font-weight:bold'>Failed as expected: {html.escape(self.type_name)}</div>"
            f"<pre style='white-space:pre-wrap;margin:2px 0'>{html.escape(describe(self.error))}</pre>"
            f"{explain}</div>"
        )


def _show(caught: Caught) -> None:
    try:
        from IPython import get_ipython
        from IPython.display import display
    except ImportError:  # plain Python: print it
        print(repr(caught))
        return
    if get_ipython() is None:
        print(repr(caught))
    else:
        display(caught)


@contextmanager
def expect_error(*expected: type[BaseException], explain: str = "") -> Iterator[Caught]:
    """Run a block that must fail with one of `expected`; show the error and `explain` as ordinary output.

    Raises:
        AssertionError: the block did not fail (the troubleshooting step did not reproduce the problem).
        The block's own exception, unchanged, when it is not one of `expected`.
    """
    if not expected:
        raise TypeError("expect_error needs the exception type(s) the block must raise")
    caught = Caught(expected, explain)
    try:
        yield caught
    except Exception as exc:  # only Exception: KeyboardInterrupt must still stop the cell
        leaves = leaf_errors(exc)
        if not isinstance(exc, expected) and not any(isinstance(leaf, expected) for leaf in leaves):
            raise
        caught.error, caught.leaves = exc, leaves
        _show(caught)
    else:
        names = " or ".join(t.__name__ for t in expected)
        raise AssertionError(
            f"This cell was meant to fail with {names}, and it did not. The problem it shows "
            "was not reproduced: check the cells above, or the backend you chose."
        )
