"""Notebook 05 runs offline: seed-003 configs, secret headers, namespaces, filters and the agent's tool loop."""

from __future__ import annotations

import hashlib
import os

import pytest
from dotenv import dotenv_values

from helpers.mcp_client.secrets import KEY_ENV, SecretStore, resolve_secret
from helpers.redact import _KNOWN
from helpers.scenarios.readings import AGGREGATE_READINGS_TOOL, aggregate_readings
from helpers.scenarios.weather import WeatherData
from helpers.servers.weather import TOKEN_ENV
from helpers.settings import ENV_FILE

pytestmark = pytest.mark.notebook

NOTEBOOK = "05_mcp_server_configs.ipynb"
WEATHER_TOOLS = {"get_weather", "get_weather_by_datetime_range"}


@pytest.fixture(scope="module")
def run(run_notebook):
    """The executed notebook."""
    return run_notebook(NOTEBOOK)


def _stored_token() -> str:
    """This run's bare token, read back from the encrypted store the notebook wrote (as its kernel would)."""
    key = os.environ.get(KEY_ENV) or (dotenv_values(ENV_FILE).get(KEY_ENV) if ENV_FILE.is_file() else None)
    value = SecretStore(key=key or None).get(TOKEN_ENV)
    assert value is not None, "the notebook did not leave its token in the secret store"
    return value.get_secret_value().removeprefix("Bearer ")


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
    calls = records["tool_calls"]
    assert AGGREGATE_READINGS_TOOL in calls and "get_weather" in calls
    weather_calls = [c for c in calls if c in WEATHER_TOOLS]
    # The weather server's own counter, not the transcript, proves the MCP calls happened.
    assert records["server_calls"] == len(weather_calls) >= 1
    assert records["server_calls_by_tool"] == {name: weather_calls.count(name) for name in set(weather_calls)}


def test_answer_combines_indoor_readings_and_weather(run) -> None:
    answer = run.records["final_answer"]
    assert answer.startswith("(stand-in, not a model)")
    berlin = WeatherData().current("Berlin")
    assert str(berlin["temperature_c"]) in answer and "Berlin" in answer
    rooms = aggregate_readings()["rooms"]
    assert all(str(stats["mean"]) in answer for stats in rooms.values())


def test_secret_never_shown(run) -> None:
    records = run.records
    assert records["secret_leaked"] is False
    token = _stored_token()
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

    from helpers.settings import BUILD_DIR
    from helpers.standin.cassette import Cassette
    from tests.support.notebooks import NOTEBOOKS, execute

    monkeypatch.setenv("OPENAI_COMPATIBLE_API_KEY", standin.api_key)
    monkeypatch.setenv("WORKBOOK_CASSETTE_DIR", str(tmp_path))
    parameters = {"BACKEND": "openai-compatible", "BASE_URL": standin.base_url, "RECORD": True}
    run = execute(
        NOTEBOOKS / NOTEBOOK, BUILD_DIR / "executed" / "05_mcp_server_configs-RECORD.ipynb", parameters
    )
    records = run.records
    assert records["standin"] is False and records["viewer"] is True
    assert records["cassette"] == f"05_mcp_server_configs-{standin.model_ids[0]}.json"
    path = tmp_path / records["cassette"]
    text = path.read_text(encoding="utf-8")
    assert standin.api_key not in text and standin.api_key not in run.outputs_text()
    assert _stored_token() not in text
    cassette = Cassette.load(path)
    assert len(cassette.exchanges) == len(json.loads(text)["exchanges"]) >= 2
