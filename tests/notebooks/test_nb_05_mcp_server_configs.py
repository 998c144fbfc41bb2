"""Notebook 05 runs offline: seed-003 configs, secret headers, namespaces, filters and the agent's tool loop.

Each run of the notebook here gets a secret store of its own (WORKBOOK_SECRETS_DIR, a fresh
WORKBOOK_SECRET_KEY), so another run (tests/notebooks/test_rerun_and_secrets.py, the RECORD test) cannot
rewrite the token this module reads back.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet

from helpers.mcp_client.secrets import DIR_ENV, KEY_ENV, SecretStore, resolve_secret
from helpers.redact import _KNOWN
from helpers.scenarios.readings import AGGREGATE_READINGS_TOOL, aggregate_readings
from helpers.scenarios.weather import WeatherData
from helpers.servers.weather import TOKEN_ENV
from helpers.settings import BUILD_DIR
from tests.support.notebooks import NOTEBOOKS, NotebookRun, execute

pytestmark = pytest.mark.notebook

NOTEBOOK = "05_mcp_server_configs.ipynb"
WEATHER_TOOLS = {"get_weather", "get_weather_by_datetime_range"}


@dataclass
class OwnStore:
    """A secret store folder and key for one notebook run."""

    folder: Path
    key: str

    def token(self) -> str:
        """The run's bare token, read back from its encrypted store (as its kernel would)."""
        value = SecretStore(self.folder / "secrets.sqlite3", key=self.key).get(TOKEN_ENV)
        assert value is not None, "the notebook did not leave its token in its secret store"
        return value.get_secret_value().removeprefix("Bearer ")


def run_with_own_store(
    folder: Path, output: Path, parameters: dict[str, Any]
) -> tuple[NotebookRun, OwnStore]:
    """Execute the notebook with a secret store of its own in `folder`."""
    store = OwnStore(folder, Fernet.generate_key().decode())
    with pytest.MonkeyPatch.context() as env:  # the kernel inherits these; restored afterwards
        env.setenv(DIR_ENV, str(folder))
        env.setenv(KEY_ENV, store.key)
        run = execute(NOTEBOOKS / NOTEBOOK, output, parameters)
    return run, store


@pytest.fixture(scope="module")
def executed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[NotebookRun, OwnStore]]:
    """The executed notebook (offline) and its own secret store."""
    folder = tmp_path_factory.mktemp("nb05-secrets")
    yield run_with_own_store(folder, BUILD_DIR / "executed" / NOTEBOOK, {"BACKEND": "standin"})


@pytest.fixture(scope="module")
def run(executed: tuple[NotebookRun, OwnStore]) -> NotebookRun:
    return executed[0]


def _stored_token(executed: tuple[NotebookRun, OwnStore]) -> str:
    return executed[1].token()


def test_records_selection_namespaces_and_auth(run) -> None:
    records = run.records
    assert records["standin"] is True
    assert records["selected_tools"] == {
        "Temperature Recommendations": [
            "get_weather",
            "get_weather_by_datetime_range",
            AGGREGATE_READINGS_TOOL,
        ]
    }
    assert records["unmatched_patterns"] == {"weather_mcp": ["get_wether_by_datetime_range"]}
    assert records["namespace_denied"] is True
    assert records["unauthorized_without_token"] is True
    assert sorted(records["collision_names"]) == sorted(
        [
            "weather_mcp__get_weather",
            "weather_eu__get_weather",
            "get_weather_by_datetime_range",
            AGGREGATE_READINGS_TOOL,
        ]
    )


def test_agent_took_both_tool_paths(run) -> None:
    records = run.records
    assert records["tool_calls"] == ["get_weather", AGGREGATE_READINGS_TOOL]
    # The weather server's own counter, not the transcript, proves the MCP call happened.
    assert records["server_calls"] == 1
    assert records["server_calls_by_tool"] == {"get_weather": 1}
    assert not set(records["server_calls_by_tool"]) - WEATHER_TOOLS


def test_the_standins_answer_quotes_both_tool_results(run) -> None:
    """Both tools' results reached the endpoint: the stand-in (not a model) quotes each one field by field.

    This is no proof that anything *combined* them into a recommendation: the stand-in only quotes.
    """
    answer = run.records["final_answer"]
    assert answer.startswith(
        f"(stand-in, not a model) I called {AGGREGATE_READINGS_TOOL}, get_weather and quote what came back"
    )
    berlin = WeatherData().current("Berlin")
    weather = answer[
        answer.index("get_weather returned ") : answer.index(f"{AGGREGATE_READINGS_TOOL} returned ")
    ]
    assert weather.startswith(
        f"get_weather returned location: {berlin['location']}; timezone: {berlin['timezone']}"
    )
    for field in ("temperature_c", "feels_like_c", "humidity_pct", "wind_kph"):
        assert f"; {field}: {berlin[field]};" in weather, field
    readings = answer[answer.index(f"{AGGREGATE_READINGS_TOOL} returned ") :]
    for room, stats in aggregate_readings()["rooms"].items():
        for name in ("min", "max", "mean", "count"):
            assert f"rooms.{room}.{name}: {stats[name]};" in readings or readings.endswith(
                f"rooms.{room}.{name}: {stats[name]}."
            ), (room, name)


def test_the_run_used_its_own_secret_store(executed) -> None:
    run, store = executed
    assert f"SecretStore(path={str(store.folder / 'secrets.sqlite3')!r})" in run.outputs_text()
    assert (store.folder / "secrets.sqlite3").is_file()
    assert not (store.folder / "secret.key").exists()  # the key came from WORKBOOK_SECRET_KEY


def test_secret_never_shown(run, executed) -> None:
    records = run.records
    assert records["secret_leaked"] is False
    token = _stored_token(executed)
    assert hashlib.sha256(token.encode()).hexdigest() == records["token_sha256"], (
        "store holds another run's token"
    )
    text = run.outputs_text()
    assert token not in text
    assert token[:12] not in text  # not even a prefix
    assert "STAND-IN" in text and "not a language model" in text


def test_intentional_errors_are_the_documented_ones(run) -> None:
    shown = [name for name, _ in run.expected_errors()]
    assert shown == ["ConfigError", "SecretStoreError", "McpConnectionError", "NamespaceDeniedError"]
    assert run.error_outputs() == []


def test_bearer_credential_is_redacted_too(tmp_path, monkeypatch) -> None:
    """A secret holding 'Bearer <token>' registers the bare token for redaction as well."""
    monkeypatch.delenv("NB05_TEST_SECRET", raising=False)
    store = SecretStore(tmp_path / "s.sqlite3")
    store.set("NB05_TEST_SECRET", "Bearer abcdefgh12345678")
    resolve_secret("NB05_TEST_SECRET", store)
    assert {"Bearer abcdefgh12345678", "abcdefgh12345678"} <= _KNOWN


def test_filter_by_hand_comes_before_select_tools() -> None:
    import nbformat

    from tests.support.notebooks import NOTEBOOKS

    code = [
        c.source
        for c in nbformat.read(str(NOTEBOOKS / NOTEBOOK), as_version=4).cells
        if c.cell_type == "code"
    ]

    def first(text: str) -> int:
        return next(i for i, source in enumerate(code) if text in source)

    assert "fnmatchcase(" in code[first("def filter_tool_names(")]
    assert first("def filter_tool_names(") < first("select_tools(")
    assert first("def header_values(") < first("resolve_headers()")


def test_knowledgebases_warning_headers_and_viewer(run) -> None:
    records = run.records
    assert len(records["knowledgebase_warnings"]) == 1
    assert "is accepted but not used" in records["knowledgebase_warnings"][0]
    assert records["header_names"] == ["Authorization", "X-Retry"]
    assert records["viewer"] is True and records["cassette"] is None


def test_record_against_a_live_endpoint_writes_a_cassette_without_secrets(
    standin, monkeypatch, tmp_path
) -> None:
    """RECORD=True with a 'live' OpenAI-compatible endpoint (a planner-only stand-in) saves the agent's run."""
    import json

    from helpers.standin.cassette import Cassette
    from tests.support.notebooks import recording_against

    parameters = recording_against(standin, monkeypatch, tmp_path)
    (tmp_path / "secrets").mkdir()
    run, own_store = run_with_own_store(
        tmp_path / "secrets", BUILD_DIR / "executed" / "05_mcp_server_configs-RECORD.ipynb", parameters
    )
    records = run.records
    assert records["standin"] is False and records["viewer"] is True
    assert records["cassette"] == f"05_mcp_server_configs-{standin.model_ids[0]}.json"
    path = tmp_path / records["cassette"]
    text = path.read_text(encoding="utf-8")
    assert standin.api_key not in text and standin.api_key not in run.outputs_text()
    assert own_store.token() not in text
    cassette = Cassette.load(path)
    assert len(cassette.exchanges) == len(json.loads(text)["exchanges"]) >= 2
