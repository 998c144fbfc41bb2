"""A room with no network: the wheelhouse alone sets up the learner's environment.

`scripts/wheelhouse.sh` builds the wheelhouse once per session into a temporary folder (this part
uses the package indexes; pip's and uv's caches make it quick on a second run). Then, inside a
network namespace that has only a loopback interface (`unshare -n`, which needs root), a copy of
the project gets a fresh `.venv` from `scripts/install.sh --offline`, with a fresh HOME (so uv is
bootstrapped from the wheelhouse when it is not on PATH) and an empty uv cache, and the packages
the notebooks start with must import.

Where there is no root or no unshare the test skips saying why; in CI (CI set) that is a failure.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
IMPORTS = ("helpers", "openai", "mcp", "autogen_agentchat", "jupyterlab", "papermill")
PROJECT_FILES = (
    "helpers",
    "scripts",
    "pyproject.toml",
    "requirements.txt",
    "requirements-live.txt",
    "requirements-dev.txt",
    "requirements-bootstrap.txt",
)

pytestmark = [pytest.mark.offline_install, pytest.mark.timeout(900)]


def _base_python() -> str:
    """The interpreter the tests run on, outside any venv (the scripts make their own)."""
    return getattr(sys, "_base_executable", None) or sys.executable


def _script_env(**extra: str) -> dict[str, str]:
    """The environment for the set-up scripts: without the test suite's loopback guard (it is a
    sitecustomize on PYTHONPATH and would refuse pip's downloads) and without a venv of the caller's."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("PYTHONPATH", "WORKBOOK_LOOPBACK_ONLY", "VIRTUAL_ENV")
    }
    env["PYTHON"] = _base_python()
    env.update(extra)
    return env


def _netns_problem() -> str | None:
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        return "needs root to make a network namespace with `unshare -n`"
    if shutil.which("unshare") is None:
        return "needs `unshare` (util-linux) to make a network namespace"
    probe = subprocess.run(["unshare", "-n", "true"], capture_output=True, text=True)
    if probe.returncode != 0:
        return f"`unshare -n` does not work here: {probe.stderr.strip()}"
    return None


@pytest.fixture(scope="session")
def netns() -> None:
    problem = _netns_problem()
    if problem:
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the offline install test, but it {problem}")
        pytest.skip(f"offline install test {problem}")


@pytest.fixture(scope="session")
def wheelhouse(netns: None, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("wheelhouse")
    start = time.monotonic()
    built = subprocess.run(
        ["bash", "scripts/wheelhouse.sh", str(folder)],
        cwd=ROOT,
        env=_script_env(),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert built.returncode == 0, f"scripts/wheelhouse.sh failed:\n{built.stdout}\n{built.stderr}"
    print(f"\nwheelhouse built in {time.monotonic() - start:.1f} s: {built.stdout.strip().splitlines()[-1]}")
    return folder


def test_wheelhouse_holds_uv_and_the_build_backend_and_says_how_to_use_it(wheelhouse: Path) -> None:
    names = {wheel.name.split("-")[0].lower() for wheel in wheelhouse.glob("*.whl")}
    assert {"uv", "pip", "setuptools", "jupyterlab", "openai", "mcp", "autogen_agentchat"} <= names
    readme = (wheelhouse / "README.txt").read_text()
    assert "scripts/workbook.sh --offline" in readme
    assert (wheelhouse / "requirements.lock").read_text().count("==") >= 100


def test_fresh_venv_from_the_wheelhouse_with_no_network(wheelhouse: Path, tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info")
    for name in PROJECT_FILES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, project / name, ignore=ignore)
        else:
            shutil.copy2(source, project / name)

    python = _base_python()
    script = "\n".join(
        [
            "set -eu",
            "ip link set lo up 2>/dev/null || true",
            # the proof of isolation: this namespace has no interface but loopback
            f'{python} -c "import socket, sys; names = [n for _, n in socket.if_nameindex()]; '
            "sys.exit(0 if names == ['lo'] else f'not isolated: {names}')\"",
            f"bash scripts/install.sh --offline {wheelhouse}",
            f".venv/bin/python -c 'import {', '.join(IMPORTS)}; print(\"imported: {' '.join(IMPORTS)}\")'",
        ]
    )
    home = tmp_path / "home"
    env = _script_env(HOME=str(home), UV_CACHE_DIR=str(tmp_path / "uv-cache"))
    env.pop("XDG_CACHE_HOME", None)
    env.pop("WORKBOOK_TOOLS_DIR", None)

    start = time.monotonic()
    run = subprocess.run(
        ["unshare", "-n", "--", "bash", "-c", script],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    elapsed = time.monotonic() - start
    output = f"{run.stdout}\n{run.stderr}"
    assert run.returncode == 0, f"offline install failed:\n{output}"
    print(f"\noffline install and imports in {elapsed:.1f} s")
    assert "with no network" in run.stdout
    assert "imported: " + " ".join(IMPORTS) in run.stdout
    assert (project / ".venv" / ".requirements.sha256").is_file()
    if shutil.which("uv", path=env.get("PATH")) is None:  # so uv came from the wheelhouse
        assert (home / ".cache" / "mcp-workbook" / "tools" / "bin" / "uv").is_file(), output
