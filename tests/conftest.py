"""Shared test set-up: the loopback guard, and running notebooks under papermill once per session."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import pytest

GUARD = Path(__file__).resolve().parent / "guard"

# Every process the tests start (kernels, MCP servers, proxies) loads tests/guard/sitecustomize.py,
# which refuses connections to anything but loopback; this process installs it too.
os.environ["WORKBOOK_LOOPBACK_ONLY"] = "1"
os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(GUARD), os.environ.get("PYTHONPATH")]))
# The stand-in rejects what the strictest real servers reject (llama.cpp, vLLM, Ollama, Azure), so no
# request the workbook builds passes here and fails there. Kernels and servers inherit it.
os.environ["WORKBOOK_STANDIN_STRICT"] = "1"
for name in ("BACKEND", "BASE_URL", "MODEL"):
    os.environ.pop(name, None)  # notebooks under test take the default (offline) backend
sys.path.insert(0, str(GUARD))
import sitecustomize  # noqa: E402,F401  (installs the guard in this process)

sys.path.remove(str(GUARD))

from tests.support.notebooks import EXECUTED, NOTEBOOKS, NotebookRun, execute  # noqa: E402

_runs: dict[tuple, NotebookRun | Exception] = {}


def execute_notebook(name: str, **parameters: Any) -> NotebookRun:
    """Run notebooks/`name` under plain papermill with `parameters` (once per session per parameter set)."""
    key = (name, tuple(sorted(parameters.items())))
    if key not in _runs:
        suffix = "".join(f"-{k}={v}" for k, v in sorted(parameters.items()) if k != "BACKEND")
        output = EXECUTED / f"{Path(name).stem}{suffix}.ipynb"
        try:
            _runs[key] = execute(NOTEBOOKS / name, output, {"BACKEND": "standin", **parameters})
        except Exception as exc:  # a broken notebook fails each of its tests once, not one run per test
            _runs[key] = exc
    if isinstance(_runs[key], Exception):
        raise _runs[key]
    return _runs[key]


@pytest.fixture(scope="session")
def run_notebook():
    """The `execute_notebook` function, for notebook tests."""
    return execute_notebook


@pytest.fixture
def standin():
    """A fresh stand-in with no cassettes (only what a test scripts), stopped afterwards."""
    from helpers.standin import StandIn

    server = StandIn(cassettes=[]).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def anyio_backend() -> str:
    """anyio-marked tests run on asyncio, the loop Jupyter uses."""
    return "asyncio"


# The longest runs first, so that under `-n 2` no worker starts one of them when the other is nearly done:
# the real model's tests (one worker, one model), then the notebook re-runs and the browser.
HARDENED = "tests/notebooks/test_rerun_and_secrets.py"
FIRST = ("tests/interop/", HARDENED, "tests/browser/")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    def rank(item: pytest.Item) -> int:
        return next((n for n, start in enumerate(FIRST) if item.nodeid.startswith(start)), len(FIRST))

    items.sort(key=rank)  # stable: the order within each group stays


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """How `pytest -n N` (scripts/test.sh) shares out the tests: a whole test file to one worker, so a
    notebook's tests share its one run; in test_rerun_and_secrets.py one notebook's two tests (they
    share its hardened run), so the six long runs go out singly; and all of tests/interop/ to one
    worker, so only one real model server runs. (xdist's own
    `--dist loadgroup` does not work with pytest 9: it renames `item._nodeid`, which pytest 9 no
    longer reads.)"""
    from xdist.scheduler import LoadScopeScheduling

    config.option.loadscopereorder = False  # keep the order of pytest_collection_modifyitems above

    class ByFile(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            path = nodeid.split("::", 1)[0]
            if path == HARDENED:  # a scope per notebook (the test's parameter), each long: share them out
                parameter = nodeid.partition("[")[2]
                return f"{path}[{parameter}" if parameter else nodeid
            return "tests/interop" if path.startswith("tests/interop/") else path

    return ByFile(config, log)


# Tests whose skip would hide a missing system package (or the local model of scripts/llama-server.sh);
# in CI (CI set) such a skip fails the run. An expected failure (xfail) is not such a skip.
MUST_RUN_IN_CI = ("postgres", "browser", "offline_install", "interop")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Any:
    outcome = yield
    report = outcome.get_result()
    needed = [m for m in MUST_RUN_IN_CI if item.get_closest_marker(m)]
    if report.skipped and needed and os.environ.get("CI") and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.outcome = "failed"
        report.longrepr = (
            f"{item.nodeid} needs {', '.join(needed)} and must not skip in CI: {reason}. "
            "Install or set up what it names (scripts/system-deps.sh as root, scripts/llama-server.sh)."
        )
