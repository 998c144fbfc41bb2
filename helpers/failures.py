"""Show an error on purpose, for troubleshooting cells, without stopping the notebook.

`with expected_failure() as failure:` runs a block that should fail, prints what went wrong the
way a reader needs it (the error, the errors wrapped inside it, the cause) and keeps the error in
`failure.error`. The notebook runs on, under "Run All" in JupyterLab and under papermill alike.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field


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
class Failure:
    """What an `expected_failure` block raised; `error` is None when it did not fail."""

    error: Exception | None = None
    leaves: list[BaseException] = field(default_factory=list)

    @property
    def happened(self) -> bool:
        return self.error is not None

    @property
    def message(self) -> str:
        """The innermost errors' messages, joined (the text worth reading)."""
        return " | ".join(str(leaf) for leaf in self.leaves)


@contextmanager
def expected_failure() -> Iterator[Failure]:
    """Run a block that should fail; print its error to stderr and keep it instead of raising."""
    failure = Failure()
    try:
        yield failure
    except Exception as exc:  # only Exception: KeyboardInterrupt must still stop the cell
        failure.error, failure.leaves = exc, leaf_errors(exc)
        print(f"Failed as expected:\n{describe(exc)}", file=sys.stderr)
    else:
        print("This block did not fail.", file=sys.stderr)
