"""Every cell is safe to re-run, and no run leaves a secret anywhere: one hardened run per notebook.

A learner presses Shift+Enter twice, or runs a section again. The copy of the notebook made here has,
after each code cell, the same cell again, then a probe: the second run must not leave more
processes under the kernel than the first did (a cell that starts a server must stop or reuse the
one it started before, not start a second). The parameters cell runs once, as papermill injects
the parameters after it. Then papermill's own rule applies: any error output fails the run, so
every assert of the notebook must hold on the second run too.

The same run is the secret-hygiene run (one run serves both checks, so the suite runs each notebook
once for them, not twice). Planted in the kernel's environment: an OpenAI key, an Azure OpenAI key,
an OpenAI-compatible key and a weather-server token (notebook 05 removes that one from its kernel and
uses its own, from a secret store of this run: WORKBOOK_SECRETS_DIR and a fresh WORKBOOK_SECRET_KEY).
The run's own secrets are collected where they can be read back: the weather token notebook 05
stored (decrypted here), and by pattern the ones that are random each run: the stand-in's API key
(`standin-` + 24 characters), managed-identity tokens (JWT-looking text, `access_token`,
`Bearer <token>`) and the identity endpoint's header. Searched: the executed notebook, every file
the run wrote to its own TMPDIR (MCP server stderr logs `mcp-*.log`, `time-mcp-*` folders, server
logs), data/ (cassettes, the secret store) and build/.

Under `pytest -n 2` a notebook's two tests go to one worker, which runs the notebook once
(tests/conftest.py), and the six notebooks are shared out between the workers.
"""

from __future__ import annotations

import copy
import json
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat
import pytest
from cryptography.fernet import Fernet
from papermill.exceptions import PapermillExecutionError

from helpers.mcp_client.secrets import DIR_ENV, KEY_ENV, SecretStore
from helpers.settings import PROJECT_ROOT
from tests.support.notebooks import EXECUTED, NOTEBOOKS, NotebookRun, execute

pytestmark = pytest.mark.notebook

# Each notebook, its parameters, and the start of a log name its run must write to its TMPDIR (proof
# that the servers' logs went where they are searched): an MCP server's stderr (mcp-<module>-), the
# Time server's folder, the weather server's log; 01 starts no server.
RUNS: dict[str, tuple[dict[str, Any], str | None]] = {
    "00_setup": ({}, "mcp-tiny-"),
    "01_raw_json_tool_loop": ({}, None),
    "02_mcp_server_and_client": ({}, "mcp-cluster-"),
    "03_azure_openai_kb_stdio": (
        {"AUTH": "managed_identity"},
        "mcp-knowledge_base-",
    ),  # identity tokens in play
    "04_autogen_kaito_time": ({}, "time-mcp-"),
    "05_mcp_server_configs": ({}, "weather-"),
}

# Processes under this kernel (not zombies), by command line: the probe compares these.
COUNT = (
    "import psutil as _psutil\n"
    "_rerun_children = sorted(' '.join(p.cmdline()[1:3]) for p in _psutil.Process().children(recursive=True)\n"
    "                         if p.status() != _psutil.STATUS_ZOMBIE)\n"
)
FIRST = COUNT + "_rerun_after_first = _rerun_children\n"
SECOND = (
    COUNT + "assert len(_rerun_children) <= len(_rerun_after_first), "
    "f'running the cell again left more processes: {_rerun_after_first} -> {_rerun_children}'\n"
)

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


def _probe(source: str, cell_id: str) -> dict[str, Any]:
    cell = nbformat.v4.new_code_cell(source)
    cell["id"] = cell_id
    cell["metadata"] = {"tags": ["rerun-probe"]}
    return cell


def twice(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The notebook with each code cell (but the parameters cell) followed by itself and the probes."""
    nb = copy.deepcopy(nb)
    cells = []
    for cell in nb.cells:
        cells.append(cell)
        if cell.cell_type != "code" or "parameters" in cell.metadata.get("tags", []):
            continue
        again = copy.deepcopy(cell)
        again["id"] = f"{cell['id']}-again"
        cells += [_probe(FIRST, f"{cell['id']}-probe-1"), again, _probe(SECOND, f"{cell['id']}-probe-2")]
    nb.cells = cells
    return nb


def run_twice(stem: str, output: Path, parameters: dict[str, Any] | None = None) -> NotebookRun:
    """Execute notebooks/`stem` with every code cell run twice and probed (the source copy sits beside `output`)."""
    source = output.with_name(f"{output.stem}-source.ipynb")  # the kernel still starts in notebooks/ (cwd)
    source.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(twice(nbformat.read(str(NOTEBOOKS / f"{stem}.ipynb"), as_version=4)), str(source))
    return execute(source, output, parameters)


@dataclass
class HardenedRun:
    """A notebook run twice per cell with planted secrets: the run, its temp folder and its secret store."""

    run: NotebookRun
    temp: Path
    store: Path
    store_key: str


@pytest.fixture(scope="session")
def hardened_run(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], HardenedRun]:
    """The hardened run of a notebook, made once per worker and shared by its two tests."""
    runs: dict[str, HardenedRun | Exception] = {}

    def run(stem: str) -> HardenedRun:
        if stem not in runs:
            folder = tmp_path_factory.mktemp(stem)
            temp, store = folder / "tmp", folder / "secrets"
            temp.mkdir()
            key = Fernet.generate_key().decode()
            with pytest.MonkeyPatch.context() as env:  # the kernel and its servers inherit these
                env.setenv("TMPDIR", str(temp))  # where they write their logs
                for name, value in PLANTED.items():
                    env.setenv(name, value)
                env.setenv(DIR_ENV, str(store))  # notebook 05's secret store: this run's own
                env.setenv(KEY_ENV, key)
                try:
                    parameters = {"BACKEND": "standin", **RUNS[stem][0]}
                    runs[stem] = HardenedRun(
                        run_twice(stem, EXECUTED / f"{stem}-rerun.ipynb", parameters), temp, store, key
                    )
                except Exception as exc:  # a broken run fails both tests once, not one run per test
                    runs[stem] = exc
        if isinstance(runs[stem], Exception):
            raise runs[stem]
        return runs[stem]

    return run


@pytest.mark.parametrize("stem", RUNS)
def test_every_cell_run_twice(hardened_run: Callable[[str], HardenedRun], stem: str) -> None:
    run = hardened_run(stem).run
    probes = [c for c in run.nb.cells if "rerun-probe" in c.metadata.get("tags", [])]
    assert probes and all(c.get("execution_count") for c in probes), "the probes did not run"


def test_the_probe_catches_a_cell_that_starts_a_second_process() -> None:
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell("import subprocess, sys\nsleeper = subprocess.Popen(['sleep', '30'])")
    ]
    source = EXECUTED / "rerun-probe-check-source.ipynb"
    source.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(twice(nb), str(source))
    with pytest.raises(PapermillExecutionError, match="left more processes"):
        execute(source, EXECUTED / "rerun-probe-check.ipynb")


def stored_weather_token(folder: Path, key: str) -> str | None:
    """The token notebook 05 generated and kept in its secret store (in `folder`), read back as its kernel would."""
    value = SecretStore(folder / "secrets.sqlite3", key=key).get("WEATHER_MCP_TOKEN")
    return value.get_secret_value().removeprefix("Bearer ") if value is not None else None


def notebook_outputs(text: str) -> str:
    """The text of an executed notebook's outputs, unescaped (as JSON, `"access_token": "…"` would read
    `\\"access_token\\"` and slip past the pattern); markdown may explain `access_token`, outputs may not."""

    def strings(value: Any) -> list[str]:
        if isinstance(value, str):
            return [value]
        items = value.values() if isinstance(value, dict) else value if isinstance(value, list) else []
        return [text for item in items for text in strings(item)]

    return "\n".join(strings([cell.get("outputs", []) for cell in json.loads(text).get("cells", [])]))


def files_under(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    suffixes = TEXT_SUFFIXES | {".sqlite3"}
    return [
        p for p in folder.rglob("*") if p.is_file() and p.suffix in suffixes and p.stat().st_size < 20_000_000
    ]


def leaks_in(paths: list[Path], values: dict[str, str]) -> list[str]:
    """'<what> in <path>' for each of `values` found in a file, and each PATTERNS match in its text
    (in a notebook, in its outputs only: markdown may explain `access_token`)."""
    hits: list[str] = []
    for path in paths:
        text = path.read_bytes().decode("utf-8", errors="replace")
        hits += [f"{what} in {path}" for what, value in values.items() if value in text]
        if path.suffix == ".sqlite3":
            continue  # binary: only the literal values above
        shown = notebook_outputs(text) if path.suffix == ".ipynb" else text
        hits += [
            f"{what} ({m.group()[:14]}…) in {path}"
            for what, pattern in PATTERNS.items()
            for m in pattern.finditer(shown)
        ]
    return hits


def test_the_search_finds_a_planted_value_and_every_pattern(tmp_path: Path) -> None:
    """The search can fail: a log with a planted key, a notebook output with each random secret's shape."""
    log = tmp_path / "mcp-tiny-x.log"
    log.write_text(f"starting with key {PLANTED['OPENAI_API_KEY']}\n")
    shapes = [
        "standin-" + "a" * 24,
        "eyJhbGciOiJIUzI1.eyJzdWIiOiIxMjM0",
        '"access_token": "abcdefgh123"',
        "Bearer " + "b" * 20,
        "IDENTITY_HEADER=1234abcd-ef",
    ]
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("Bearer " + "c" * 20)]  # prose may name the shape
    nb.cells += [
        nbformat.v4.new_code_cell(outputs=[nbformat.v4.new_output("stream", text=t)]) for t in shapes
    ]
    executed = tmp_path / "out.ipynb"
    nbformat.write(nb, executed)
    hits = leaks_in([log, executed], {"OPENAI_API_KEY": PLANTED["OPENAI_API_KEY"]})
    assert hits[0] == f"OPENAI_API_KEY in {log}"
    assert sorted(hit.split(" (")[0] for hit in hits[1:]) == sorted(PATTERNS), hits


@pytest.mark.parametrize("stem", RUNS)
def test_no_secret_anywhere(hardened_run: Callable[[str], HardenedRun], stem: str) -> None:
    hardened = hardened_run(stem)
    values = {**PLANTED, "secret store key": hardened.store_key}
    if stem.startswith("05_"):
        token = stored_weather_token(hardened.store, hardened.store_key)
        assert token, "notebook 05 left no weather token in this run's store"
        values["weather token of this run"] = token
        values["weather token prefix"] = token[:12]
        stored = files_under(hardened.store)
        assert [p.name for p in stored] == ["secrets.sqlite3"], stored  # the notebook used this run's store
    logs = files_under(hardened.temp)
    if (log_prefix := RUNS[stem][1]) is not None:
        assert any(p.name.startswith(log_prefix) or p.parent.name.startswith(log_prefix) for p in logs), (
            f"the run wrote no {log_prefix}* log in its TMPDIR {hardened.temp}: {[p.name for p in logs]}"
        )

    searched = [
        hardened.run.path,
        *logs,
        *files_under(hardened.store),
        *files_under(PROJECT_ROOT / "data"),
        *files_under(PROJECT_ROOT / "build"),
    ]
    hits = leaks_in(searched, values)
    print(
        f"\nsecret hygiene of {stem}: searched {len(searched)} files ({len(logs)} in the run's temp folder) "
        f"for {len(values)} values and {len(PATTERNS)} patterns: {len(hits)} hits"
    )
    assert not hits, "\n".join(hits)
