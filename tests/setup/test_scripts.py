"""The set-up scripts' cheap promises: a re-run with nothing changed does nothing, bad arguments
stop before anything is installed, and the README's commands run what they say."""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from helpers.ports import free_port

ROOT = Path(__file__).resolve().parents[2]
FILES = (
    "scripts",
    "pyproject.toml",
    "requirements.txt",
    "requirements-live.txt",
    "requirements-dev.txt",
    "requirements-bootstrap.txt",
)


def _copy(tmp_path: Path) -> Path:
    for name in FILES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, tmp_path / name)
        else:
            shutil.copy2(source, tmp_path / name)
    return tmp_path


def _run(project: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("WORKBOOK_OFFLINE", "PYTHONPATH")}
    return subprocess.run(["bash", *args], cwd=project, env=env, capture_output=True, text=True, timeout=60)


def _hash(project: Path, *names: str) -> str:
    return hashlib.sha256(b"".join((project / name).read_bytes() for name in names)).hexdigest()


def _installed(tmp_path: Path) -> Path:
    """A copy of the project whose .venv looks installed: the learner's and dev stamps match."""
    project = _copy(tmp_path)
    (project / ".venv" / "bin").mkdir(parents=True)
    (project / ".venv" / "bin" / "python").symlink_to(sys.executable)
    stamps = {
        ".requirements.sha256": _hash(project, "requirements.txt", "pyproject.toml"),
        ".requirements-dev.sha256": _hash(
            project, "requirements.txt", "requirements-live.txt", "requirements-dev.txt", "pyproject.toml"
        ),
    }
    for name, value in stamps.items():
        (project / ".venv" / name).write_text(value + "\n")
    return project


def test_install_does_nothing_when_the_stamps_match(tmp_path: Path) -> None:
    project = _installed(tmp_path)
    for args in ([], ["--dev"]):
        done = _run(project, "scripts/install.sh", *args)
        assert done.returncode == 0 and done.stdout == "" and done.stderr == "", (args, done)
    # the learner's stamp does not stand for the live set
    live = _run(project, "scripts/install.sh", "--live", "--offline", str(tmp_path / "nowhere"))
    assert live.returncode == 2 and "no wheelhouse folder" in live.stderr


def test_workbook_sh_defaults_give_way_to_arguments(tmp_path: Path) -> None:
    project = _installed(tmp_path)
    jupyter = project / ".venv" / "bin" / "jupyter"
    jupyter.write_text('#!/bin/sh\necho "$@"\n')
    jupyter.chmod(0o755)
    root = ["--allow-root"] if os.geteuid() == 0 else []  # JupyterLab refuses root without it
    default = _run(project, "scripts/workbook.sh").stdout.split()
    assert default == ["lab", "--notebook-dir=notebooks", "--ip=127.0.0.1", "--port=8888", *root]
    chosen = _run(project, "scripts/workbook.sh", "--port=9999", "--no-browser").stdout.split()
    assert chosen == [
        "lab",
        "--notebook-dir=notebooks",
        "--ip=127.0.0.1",
        *root,
        "--port=9999",
        "--no-browser",
    ]


def test_workbook_sh_starts_jupyterlab(tmp_path: Path) -> None:
    """The README's workbook command (set-up already done) gets a JupyterLab that answers, as root too."""
    project = _installed(tmp_path)
    (project / ".venv" / "bin" / "jupyter").symlink_to(ROOT / ".venv" / "bin" / "jupyter")
    (project / "notebooks").mkdir()
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("WORKBOOK_OFFLINE", "PYTHONPATH")}
    env["JUPYTER_RUNTIME_DIR"] = str(tmp_path / "runtime")
    lab = subprocess.Popen(
        ["bash", "scripts/workbook.sh", "--no-browser", f"--port={port}", "--IdentityProvider.token=test"],
        cwd=project,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        status = None
        while time.monotonic() < deadline and lab.poll() is None and status != 200:
            try:
                status = httpx.get(f"http://127.0.0.1:{port}/api/status?token=test", timeout=2).status_code
            except httpx.TransportError:
                time.sleep(0.3)
        stopped_early = lab.poll()
    finally:
        with contextlib.suppress(ProcessLookupError):  # gone already if JupyterLab refused to start
            os.killpg(lab.pid, signal.SIGTERM)
        _, errors = lab.communicate(timeout=30)
    assert status == 200, f"JupyterLab did not answer (exit code {stopped_early}): {errors[-1500:]}"


def test_bad_arguments_stop_before_installing(tmp_path: Path) -> None:
    project = _copy(tmp_path)
    bad = _run(project, "scripts/install.sh", "--frobnicate")
    assert bad.returncode == 2 and "usage:" in bad.stderr
    missing = _run(project, "scripts/workbook.sh", "--offline", str(tmp_path / "nowhere"))
    assert missing.returncode == 2 and "no wheelhouse folder" in missing.stderr
    assert not (project / ".venv").exists()


def test_test_sh_lints_checks_format_and_installs_the_dev_set() -> None:
    lines = (ROOT / "scripts" / "test.sh").read_text().splitlines()
    assert "bash scripts/install.sh --dev" in lines
    assert lines.index(".venv/bin/ruff check .") < lines.index(".venv/bin/ruff format --check helpers tests")
