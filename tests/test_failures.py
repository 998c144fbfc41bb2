"""helpers.failures: errors shown on purpose, unwrapped from exception groups, without stopping."""

from __future__ import annotations

import httpx
import pytest

from helpers.failures import describe, expected_failure, leaf_errors


def test_leaf_errors_unwraps_nested_groups() -> None:
    inner = ValueError("Tool 'get_time' not found")
    group = ExceptionGroup("outer", [ExceptionGroup("inner", [inner]), KeyError("x")])
    assert leaf_errors(group)[0] is inner and len(leaf_errors(group)) == 2
    plain = RuntimeError("plain")
    assert leaf_errors(plain) == [plain]


def test_expected_failure_keeps_and_shows_the_innermost_error(capsys) -> None:
    with expected_failure() as failure:
        raise ExceptionGroup("unhandled errors in a TaskGroup", [ValueError("Tool 'get_time' not found")])
    assert failure.happened and isinstance(failure.leaves[0], ValueError)
    assert failure.message == "Tool 'get_time' not found"
    err = capsys.readouterr().err
    assert "ExceptionGroup: unhandled errors in a TaskGroup" in err
    assert "inside it: ValueError: Tool 'get_time' not found" in err


def test_describe_names_the_cause() -> None:
    try:
        try:
            raise httpx.ConnectError("All connection attempts failed")
        except httpx.ConnectError as exc:
            raise ConnectionError("Connection error.") from exc
    except ConnectionError as error:
        text = describe(error)
    assert text.splitlines() == ["ConnectionError: Connection error.",
                                 "  caused by: ConnectError: All connection attempts failed"]


def test_no_failure_is_reported(capsys) -> None:
    with expected_failure() as failure:
        pass
    assert not failure.happened and failure.message == ""
    assert "did not fail" in capsys.readouterr().err


def test_keyboard_interrupt_is_not_swallowed() -> None:
    with pytest.raises(KeyboardInterrupt), expected_failure():
        raise KeyboardInterrupt
