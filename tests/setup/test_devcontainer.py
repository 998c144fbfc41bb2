"""The devcontainer (Codespaces, VS Code) sets up with the same script as the README's commands,
and forwards the port scripts/workbook.sh starts JupyterLab on."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DEVCONTAINER = ROOT / ".devcontainer" / "devcontainer.json"
WORKBOOK = ROOT / "scripts" / "workbook.sh"
LIFECYCLE = (
    "initializeCommand",
    "onCreateCommand",
    "updateContentCommand",
    "postCreateCommand",
    "postStartCommand",
    "postAttachCommand",
)


@pytest.fixture(scope="module")
def config() -> dict:
    # devcontainer.json may be JSONC; this one is kept plain JSON, which every tool reads
    return json.loads(DEVCONTAINER.read_text())


def _commands(value) -> list[str]:
    """A lifecycle command as a list of shell command lines (string, argv list, or named parallel set)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [" ".join(value)]
    if isinstance(value, dict):
        return [line for item in value.values() for line in _commands(item)]
    return []


def _workbook_lines() -> list[str]:
    return [
        line.strip()
        for line in WORKBOOK.read_text().splitlines()
        if line.strip() and not line.strip().startswith("#")
    ]


def test_python_311_image(config: dict) -> None:
    assert "python" in config["image"] and "3.11" in config["image"]


def test_every_script_it_runs_exists(config: dict) -> None:
    lines = [line for key in LIFECYCLE for line in _commands(config.get(key))]
    assert lines, "the devcontainer runs no set-up command"
    scripts = [path for line in lines for path in re.findall(r"(?:^|\s)((?:\./)?scripts/\S+)", line)]
    assert scripts, f"no scripts/ command in {lines}"
    for path in scripts:
        assert (ROOT / path).is_file(), f"{path} does not exist"


def test_sets_up_with_the_script_workbook_sh_runs(config: dict) -> None:
    setup = _commands(config["postCreateCommand"])
    workbook_setup = [line for line in _workbook_lines() if line.startswith("bash scripts/")]
    assert workbook_setup, "scripts/workbook.sh runs no set-up script"
    used = {line.split()[1] for line in workbook_setup}
    assert any(line.split()[:2] == ["bash", script] for line in setup for script in used), (setup, used)


def test_forwards_the_port_jupyterlab_listens_on(config: dict) -> None:
    code = "\n".join(_workbook_lines())
    assert "jupyter lab" in code
    ports = re.findall(r"--port=(\d+)", code)
    assert len(ports) == 1, f"scripts/workbook.sh should name one default port, names {ports}"
    assert "--ip=127.0.0.1" in code  # VS Code and Codespaces forward from inside the container
    assert int(ports[0]) in config["forwardPorts"]
    assert set(config.get("portsAttributes", {})) <= {str(p) for p in config["forwardPorts"]}


def test_recommends_the_python_and_jupyter_extensions(config: dict) -> None:
    extensions = config["customizations"]["vscode"]["extensions"]
    assert {"ms-python.python", "ms-toolsai.jupyter"} <= set(extensions)


def test_interpreter_is_the_venv_the_set_up_makes(config: dict) -> None:
    interpreter = config["customizations"]["vscode"]["settings"]["python.defaultInterpreterPath"]
    assert interpreter.endswith("/.venv/bin/python")
    assert ".venv/bin/python" in (ROOT / "scripts" / "install.sh").read_text()
