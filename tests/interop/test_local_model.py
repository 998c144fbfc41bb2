"""`helpers.llm.local_model` and scripts/llama-server.sh fail early and say why, with no server to build.

Offline and quick: an empty cache, a missing script, a server that dies, a server that never listens.
The real server is exercised by the other tests in this folder.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from helpers.errors import ServerStartError
from helpers.llm import local_model
from helpers.settings import PROJECT_ROOT

SCRIPT = PROJECT_ROOT / "scripts" / "llama-server.sh"


def run_script(*args: str, cache: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "WORKBOOK_CACHE": str(cache)}
    return subprocess.run(["bash", str(SCRIPT), *args], env=env, capture_output=True, text=True, timeout=60)


def test_check_with_an_empty_cache_says_what_is_missing_and_builds_nothing(tmp_path: Path) -> None:
    done = run_script("--check", cache=tmp_path)
    assert done.returncode == 3, done
    assert "not set up: no llama-cpp-python 0.3.36 wheel" in done.stderr
    assert "bash scripts/llama-server.sh" in done.stderr and done.stdout == ""
    assert list(tmp_path.iterdir()) == []


def test_bad_arguments_stop_before_anything(tmp_path: Path) -> None:
    done = run_script("--frobnicate", cache=tmp_path)
    assert done.returncode == 2 and "usage:" in done.stderr
    assert list(tmp_path.iterdir()) == []


def test_not_set_up_is_a_server_start_error_with_the_scripts_words(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WORKBOOK_CACHE", str(tmp_path))
    assert not local_model.local_model_ready()
    with pytest.raises(ServerStartError, match=r"is not set up(.|\n)*no llama-cpp-python 0.3.36 wheel"):
        local_model.start_local_model(setup=False)


def test_a_missing_script_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(local_model, "SETUP_SCRIPT", tmp_path / "llama-server.sh")
    with pytest.raises(ServerStartError, match="set-up script .*llama-server.sh is missing"):
        local_model.start_local_model()


def fake_setup(monkeypatch: pytest.MonkeyPatch, python: Path | str, tmp_path: Path) -> None:
    gguf = tmp_path / "model.gguf"
    gguf.write_bytes(b"GGUF")
    monkeypatch.setattr(local_model, "_run_setup", lambda check_only, echo: (Path(python), gguf))


def test_a_server_that_dies_is_reported_with_its_log(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake_setup(monkeypatch, sys.executable, tmp_path)  # the workbook's python has no llama_cpp
    with pytest.raises(
        ServerStartError, match=r"exited before it was ready(.|\n)*No module named 'llama_cpp'"
    ):
        local_model.start_local_model(timeout=20)


def test_a_server_that_never_listens_is_reported_with_its_log(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    python = tmp_path / "python"
    python.write_text(
        '#!/bin/sh\n[ "$1" = -c ] && { echo 0.0-fake; exit 0; }\necho "loading the model..."\nexec sleep 60\n'
    )
    python.chmod(0o755)
    fake_setup(monkeypatch, python, tmp_path)
    with pytest.raises(ServerStartError, match=r"nothing listened(.|\n)*loading the model\.\.\."):
        local_model.start_local_model(timeout=2)
