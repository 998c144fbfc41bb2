"""Every notebook, run with planted secrets, leaves none of them (nor its own) anywhere we can read.

Planted in the environment of the kernels: an OpenAI key, an Azure OpenAI key, an
OpenAI-compatible key and a weather-server token (notebook 05 removes that one from its kernel and
uses its own, from a secret store this test gives it: WORKBOOK_SECRETS_DIR and a fresh
WORKBOOK_SECRET_KEY). The run's own secrets are collected where they can be read
back: the weather token notebook 05 stored (decrypted here), and by pattern the ones that are
random each run: the stand-in's API key (`standin-` + 24 characters), managed-identity tokens
(JWT-looking text, `access_token`, `Bearer <token>`) and the identity endpoint's header.

Searched: the executed notebooks, every file the run wrote to its temporary folder (MCP server
stderr logs `mcp-*.log`, `time-mcp-*` folders, server logs), data/ (cassettes, the secret store)
and build/. Notebooks are run once more here, with their own output folder and TMPDIR.
"""

from __future__ import annotations

import re
import secrets
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from helpers.mcp_client.secrets import DIR_ENV, KEY_ENV
from helpers.settings import PROJECT_ROOT
from tests.support.notebooks import execute

pytestmark = pytest.mark.notebook

ROOT = PROJECT_ROOT
NOTEBOOKS = ROOT / "notebooks"
RUNS = [
    ("00_setup.ipynb", {}),
    ("01_raw_json_tool_loop.ipynb", {}),
    ("02_mcp_server_and_client.ipynb", {}),
    ("03_azure_openai_kb_stdio.ipynb", {"AUTH": "managed_identity"}),
    ("04_autogen_kaito_time.ipynb", {}),
    ("05_mcp_server_configs.ipynb", {}),
]
PLANTED = {  # values a careless cell would print; none may appear anywhere
    "OPENAI_API_KEY": "sk-planted-" + secrets.token_urlsafe(24),
    "AZURE_OPENAI_API_KEY": "planted-azure-" + secrets.token_hex(16),
    "OPENAI_COMPATIBLE_API_KEY": "planted-vllm-" + secrets.token_hex(16),
    "WEATHER_MCP_TOKEN": "planted-weather-" + secrets.token_urlsafe(24),
}
# Secrets that are random each run, found by their shape
PATTERNS = {
    "stand-in API key": re.compile(r"standin-[A-Za-z0-9_-]{24}(?![A-Za-z0-9_-])"),
    "JWT": re.compile(r"eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}"),
    "access_token": re.compile(r"\"?access_token\"?\s*[:=]\s*\"?[A-Za-z0-9_.-]{8,}"),
    "bearer token": re.compile(r"Bearer\s+(?!<redacted>)[A-Za-z0-9_.~+/-]{16,}"),
    "identity header": re.compile(r"IDENTITY_HEADER\s*[=:]\s*['\"]?[A-Za-z0-9-]{8,}"),
}
TEXT_SUFFIXES = {
    ".ipynb",
    ".log",
    ".txt",
    ".json",
    ".jsonl",
    ".html",
    ".md",
    ".csv",
    ".yaml",
    ".yml",
    ".out",
    ".err",
    "",
}


def stored_weather_token(folder: Path, key: str) -> str | None:
    """The token notebook 05 generated and kept in its secret store (in `folder`), read back as its kernel would."""
    from helpers.mcp_client.secrets import SecretStore

    value = SecretStore(folder / "secrets.sqlite3", key=key).get("WEATHER_MCP_TOKEN")
    return value.get_secret_value().removeprefix("Bearer ") if value is not None else None


def notebook_outputs(text: str) -> str:
    """The outputs of an executed notebook (markdown may explain `access_token`; outputs must not show one)."""
    import json

    return json.dumps([cell.get("outputs", []) for cell in json.loads(text).get("cells", [])])


def files_under(folder: Path) -> list[Path]:
    return (
        [
            p
            for p in folder.rglob("*")
            if p.is_file() and p.suffix in TEXT_SUFFIXES | {".sqlite3"} and p.stat().st_size < 20_000_000
        ]
        if folder.is_dir()
        else []
    )


def test_no_secret_anywhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    temp = tmp_path / "tmp"
    out = tmp_path / "executed"
    temp.mkdir()
    out.mkdir()
    monkeypatch.setenv("TMPDIR", str(temp))  # kernels and the servers they start write their logs here
    for name, value in PLANTED.items():
        monkeypatch.setenv(name, value)
    # notebook 05's secret store: one of this run's own, so no other test's run can rewrite the token
    store_folder, store_key = tmp_path / "secrets", Fernet.generate_key().decode()
    monkeypatch.setenv(DIR_ENV, str(store_folder))
    monkeypatch.setenv(KEY_ENV, store_key)
    for name, parameters in RUNS:
        execute(NOTEBOOKS / name, out / name, {"BACKEND": "standin", **parameters})

    values = {**PLANTED, "secret store key": store_key}
    token = stored_weather_token(store_folder, store_key)
    assert token, "notebook 05 left no weather token in the store"
    values["weather token of this run"] = token
    values["weather token prefix"] = token[:12]

    searched: list[Path] = []
    hits: list[str] = []
    logs = files_under(temp)
    assert any(p.name.startswith("mcp-") for p in logs), "the run wrote no MCP server log where expected"
    stored = files_under(store_folder)
    assert [p.name for p in stored] == ["secrets.sqlite3"], stored  # the notebook used this run's store
    for path in [
        *files_under(out),
        *logs,
        *stored,
        *files_under(ROOT / "data"),
        *files_under(ROOT / "build"),
    ]:
        raw = path.read_bytes()
        searched.append(path)
        text = raw.decode("utf-8", errors="replace")
        hits += [f"{what} in {path}" for what, value in values.items() if value in text]
        if path.suffix == ".sqlite3":
            continue  # binary: only the literal values above
        shown = notebook_outputs(text) if path.suffix == ".ipynb" else text
        hits += [
            f"{what} ({m.group()[:14]}…) in {path}"
            for what, pattern in PATTERNS.items()
            for m in pattern.finditer(shown)
        ]
    print(
        f"\nsecret hygiene: searched {len(searched)} files ({len(logs)} in the run's temp folder) for "
        f"{len(values)} values and {len(PATTERNS)} patterns: {len(hits)} hits"
    )
    assert not hits, "\n".join(hits)
