"""scripts/pip_config_to_uv.py: uv gets the package sources pip is configured with."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "pip_config_to_uv.py"

spec = importlib.util.spec_from_file_location("pip_config_to_uv", SCRIPT)
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)

LISTING = [
    "global.cert='/etc/ssl/certs/ca-certificates.crt'",
    "global.extra-index-url='file:///srv/a/simple file:///srv/b/simple'",
    "global.find-links='/srv/wheels'",
    "global.index-url='https://mirror.example/simple'",
    "install.index-url='https://install.example/simple'",
    ":env:.find-links='/env/wheels /more/wheels'",
    ":env:.default-timeout='180'",
    "wheel.index-url='https://ignored.example/simple'",
]


def test_env_overrides_install_overrides_global() -> None:
    settings = module.parse_pip_config(LISTING)
    assert settings["index-url"] == "https://install.example/simple"
    assert settings["find-links"] == "/env/wheels /more/wheels"
    assert settings["timeout"] == "180"


def test_maps_to_uv_variables_with_their_separators() -> None:
    env = module.uv_environment(module.parse_pip_config(LISTING), {})
    assert env["UV_INDEX_URL"] == "https://install.example/simple"
    assert env["UV_EXTRA_INDEX_URL"] == "file:///srv/a/simple file:///srv/b/simple"
    assert env["UV_FIND_LINKS"] == "/env/wheels,/more/wheels"
    assert env["UV_HTTP_TIMEOUT"] == "180"
    assert env["SSL_CERT_FILE"] == "/etc/ssl/certs/ca-certificates.crt"
    # pip picks the best version over all its sources; uv must be told to do the same
    assert env["UV_INDEX_STRATEGY"] == "unsafe-best-match"


def test_variables_already_set_win() -> None:
    env = module.uv_environment(
        module.parse_pip_config(LISTING),
        {"UV_INDEX_URL": "https://mine/simple", "UV_INDEX_STRATEGY": "first-index"},
    )
    assert "UV_INDEX_URL" not in env and "UV_INDEX_STRATEGY" not in env


def test_no_configuration_no_variables() -> None:
    assert module.uv_environment(module.parse_pip_config([]), {}) == {}
    only_index = module.uv_environment(module.parse_pip_config(["global.index-url='https://m/simple'"]), {})
    assert only_index == {"UV_INDEX_URL": "https://m/simple"}


def test_no_index_flag() -> None:
    assert module.uv_environment({"no-index": "true"}, {}) == {"UV_NO_INDEX": "1"}
    assert module.uv_environment({"no-index": "false"}, {}) == {}


def test_the_shell_function_exports_a_real_pip_configuration(tmp_path: Path) -> None:
    python = getattr(sys, "_base_executable", None) or sys.executable  # a venv made by uv has no pip
    if subprocess.run([python, "-m", "pip", "--version"], capture_output=True).returncode != 0:
        pytest.skip(f"{python} has no pip, whose configuration this reads")
    conf = tmp_path / "pip.conf"
    conf.write_text(
        "[global]\nindex-url = https://mirror.example/simple\n"
        "extra-index-url =\n    file:///srv/one/simple\n    file:///srv/two/simple\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "UV_"))}
    env["PIP_CONFIG_FILE"] = str(conf)
    shown = subprocess.run(
        [
            "bash",
            "-c",
            '. scripts/lib.sh && uv_sources_from_pip "$0" && env | grep "^UV_" | sort',
            python,
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout.splitlines()
    assert "UV_INDEX_URL=https://mirror.example/simple" in shown
    assert "UV_EXTRA_INDEX_URL=file:///srv/one/simple file:///srv/two/simple" in shown
    assert "UV_INDEX_STRATEGY=unsafe-best-match" in shown
