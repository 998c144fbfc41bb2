"""The backend switch: errors name the variable, discovery, Azure modes, no work at import."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

import pytest

from helpers import settings
from helpers.llm import backends
from helpers.llm.backends import ConfigError, connect

VARIABLES = [
    "BACKEND",
    "BASE_URL",
    "MODEL",
    "OPENAI_API_KEY",
    "OPENAI_COMPATIBLE_API_KEY",
    "AZURE_OPENAI_ENDPOINT",
    "AZURE_OPENAI_DEPLOYMENT_NAME",
    "AZURE_OPENAI_API_KEY",
    "AZURE_OPENAI_API_VERSION",
]


@pytest.fixture(autouse=True)
def clean_env(monkeypatch, tmp_path):
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(settings, "ENV_FILE", tmp_path / ".env")  # no developer .env leaks into tests


def test_import_builds_nothing(monkeypatch):
    """Importing the backends (in a fresh interpreter) reads no setting and starts no server, thread or process."""
    monkeypatch.setenv("BACKEND", "azure")  # would fail if read at import
    probe = (
        "import os, threading, psutil\n"
        "import helpers.llm, helpers.llm.backends as b, helpers.standin as s\n"
        "assert s._shared is None, 'a stand-in was started at import'\n"
        "assert threading.active_count() == 1, threading.enumerate()\n"
        "assert psutil.Process().children() == [], 'a process was started at import'\n"
        "assert 'IDENTITY_ENDPOINT' not in os.environ\n"
        "print('nothing started')\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("IDENTITY_")}  # earlier tests may set them
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, env=env)
    assert done.returncode == 0 and done.stdout.strip() == "nothing started", done.stderr


def test_default_is_standin():
    backend = connect()
    assert backend.kind == "standin" and backend.is_standin and backend.model.startswith("standin")
    assert "STAND-IN" in backend.describe() and "not a language model" in backend.describe()
    assert backend.api_key not in repr(backend)


@pytest.mark.parametrize(
    "kind, fragment",
    [
        ("openai", "OPENAI_API_KEY is not set"),
        ("openai-compatible", "BASE_URL is not set"),
        ("azure", "AZURE_OPENAI_ENDPOINT is not set"),
        ("anthropic", "BACKEND='anthropic' is not known"),
    ],
)
def test_missing_settings_name_the_variable(kind, fragment):
    with pytest.raises(ConfigError, match=fragment):
        connect(kind)


def test_secret_hint_never_suggests_the_parameters_cell():
    with pytest.raises(ConfigError) as error:
        connect("openai")
    assert "parameters cell" not in str(error.value)


def test_azure_needs_deployment_and_https(monkeypatch):
    monkeypatch.setenv("AZURE_OPENAI_ENDPOINT", "https://example.openai.azure.com/")
    with pytest.raises(ConfigError, match="AZURE_OPENAI_DEPLOYMENT_NAME"):
        connect("azure")
    monkeypatch.setenv("AZURE_OPENAI_ENDPOINT", "example.openai.azure.com")
    with pytest.raises(ConfigError, match="must start with https://"):
        connect("azure", model="gpt-4o")


def test_azure_key_and_entra_modes_pick_credentials(monkeypatch):
    monkeypatch.setenv("AZURE_OPENAI_ENDPOINT", "https://example.openai.azure.com/")
    monkeypatch.setenv("AZURE_OPENAI_DEPLOYMENT_NAME", "gpt-4o")
    with pytest.raises(ConfigError, match="AUTH='key' needs AZURE_OPENAI_API_KEY"):
        connect("azure", auth="key")
    monkeypatch.setenv("AZURE_OPENAI_API_KEY", "k" * 32)
    assert connect("azure").auth == "api-key"
    monkeypatch.setattr(backends, "azure_token_provider", lambda: lambda: "token")
    entra = connect("azure", auth="managed_identity")
    assert entra.auth == "bearer" and entra.model == "gpt-4o"
    assert entra.base_url == "https://example.openai.azure.com/openai/deployments/gpt-4o"


def test_openai_compatible_discovers_model(monkeypatch):
    standin = connect().standin
    monkeypatch.setenv("OPENAI_COMPATIBLE_API_KEY", standin.api_key)
    backend = connect("openai-compatible", standin.base_url)
    assert backend.model == standin.model_ids[0]
    assert (
        backend.client.chat.completions.create(
            model=backend.model, messages=[{"role": "user", "content": "hi"}]
        )
        .choices[0]
        .message.content
    )


def test_openai_compatible_connection_refused_is_explained():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # bound but not listening: refused
        with pytest.raises(ConfigError, match="connection refused.*port-forward"):
            connect("openai-compatible", f"http://127.0.0.1:{port}/v1")


def test_parameter_beats_environment_beats_dotenv(monkeypatch, tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text("MODEL=from-dotenv\n")
    monkeypatch.setattr(settings, "ENV_FILE", env_file)
    assert settings.setting("MODEL") == "from-dotenv"
    monkeypatch.setenv("MODEL", "from-env")
    assert settings.setting("MODEL") == "from-env"
    assert settings.setting("MODEL", "from-parameter") == "from-parameter"


def test_wire_log_redacts_keys():
    backend = connect()
    backend.client.chat.completions.create(model=backend.model, messages=[{"role": "user", "content": "hi"}])
    exchange = backend.wire.chat_exchanges()[-1]
    assert exchange.request_headers["authorization"] == "<redacted>"
    assert backend.api_key not in repr(backend.wire.exchanges)
    assert exchange.status == 200 and exchange.response_body["choices"]


def test_loopback_guard_blocks_other_hosts():
    with pytest.raises(ConnectionRefusedError, match="loopback guard"):
        socket.create_connection(("10.255.255.1", 443), timeout=1)
