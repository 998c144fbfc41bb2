"""In CI, a skipped test that needs a system package (PostgreSQL, Chromium, the offline install) fails the run."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from helpers.settings import PROJECT_ROOT

SKIPPING = """
import pytest

@pytest.mark.postgres
def test_needs_postgres():
    pytest.skip("no initdb found")

def test_plain_skip():
    pytest.skip("not needed here")
"""


@pytest.mark.parametrize("ci, expected_exit", [("true", 1), ("", 0)])
def test_a_skip_of_a_must_run_test_fails_only_in_ci(tmp_path, ci: str, expected_exit: int) -> None:
    (tmp_path / "conftest.py").write_text(
        "from tests.conftest import pytest_runtest_makereport  # noqa: F401\n"
    )
    (tmp_path / "test_skips.py").write_text(SKIPPING)
    env = {**os.environ, "CI": ci, "PYTHONPATH": str(PROJECT_ROOT)}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-o",
            "addopts=",
            "-m",
            "postgres or not postgres",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        cwd=tmp_path,
    )
    assert done.returncode == expected_exit, done.stdout[-2000:]
    if ci:
        assert "must not skip in CI" in done.stdout and "no initdb found" in done.stdout
        assert "1 failed, 1 skipped" in done.stdout
