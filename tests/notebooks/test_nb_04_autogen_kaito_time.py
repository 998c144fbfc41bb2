"""Notebook 04 runs offline: Autogen + the Time MCP server + the stand-in posing as KAITO's phi-4-mini."""

from __future__ import annotations

import re
from datetime import datetime, time
from zoneinfo import ZoneInfo

import pytest

pytestmark = pytest.mark.notebook
NOTEBOOK = "04_autogen_kaito_time.ipynb"


@pytest.fixture(scope="module")
def run(run_notebook):
    return run_notebook(NOTEBOOK)


def _clock(moment: datetime) -> str:
    return moment.strftime("%I:%M %p").lstrip("0")


def test_model_id_is_the_standin_and_was_discovered(run) -> None:
    records = run.records
    assert records["standin"] is True
    assert records["model_id"] == "phi-4-mini-instruct-standin"
    assert records["model_discovered"] is True


def test_tool_call_and_tool_result(run) -> None:
    records = run.records
    assert records["tool_call"] == {"name": "get_current_time", "arguments": {"timezone": "Europe/Paris"}}
    result = records["tool_result"]
    assert result["timezone"] == "Europe/Paris"
    reported = datetime.fromisoformat(result["datetime"])
    assert reported.utcoffset() == reported.astimezone(ZoneInfo("Europe/Paris")).utcoffset()
    assert result["is_dst"] == bool(reported.astimezone(ZoneInfo("Europe/Paris")).dst())


def test_final_answer_states_the_clock_time_of_the_tool_result(run) -> None:
    records = run.records
    reported = datetime.fromisoformat(records["tool_result"]["datetime"])
    answer = records["final_answer"]
    assert _clock(reported) in answer
    assert "Europe/Paris" in answer and "stand-in" in answer


def test_convert_answer_is_right_for_todays_daylight_saving_state(run) -> None:
    new_york = ZoneInfo("America/New_York")
    departure = datetime.combine(datetime.now(new_york).date(), time(9, 30), tzinfo=new_york)
    tokyo = departure.astimezone(ZoneInfo("Asia/Tokyo"))
    answer = run.records["convert_answer"]
    assert _clock(tokyo) in answer
    assert tokyo.isoformat() == run.records["convert_expected"]
    assert ("10:30 PM" in answer) == bool(departure.dst())  # the seed's answer only in northern summer


def test_workbench_offers_every_tool(run) -> None:
    assert run.records["workbench_tools"] == ["convert_time", "get_current_time"]
    assert "Australia/Sydney" in run.records["workbench_answer"]


def test_all_troubleshooting_rows_shown_and_fixed(run) -> None:
    assert run.records["troubleshooting"] == {
        "Tool not found": True,
        "401 Unauthorized": True,
        "connection refused": True,
        "tool call ignored": True,
    }


def test_tool_path_was_taken(run) -> None:
    calls = run.records["server_tool_calls"]
    # paris, convert, workbench, the connection-refused fix and the tool-call-ignored fix: one call each.
    assert calls["tool_calls_in_runs"] == 5
    assert calls["tool_calls_requested"] == calls["tool_calls_in_runs"]
    assert calls["tool_results_ok"] == 5 and calls["tool_results_error"] == 0


def test_failures_are_shown_and_the_notebook_runs_on(run) -> None:
    assert run.error_outputs() == []
    errors = run.expected_errors()
    assert [name for name, _ in errors] == ["ValueError", "HTTPStatusError", "APIConnectionError"]
    shown = "".join(text for _, text in errors)
    assert "inside it: ValueError: Tool 'get_time' not found, available tools:" in shown
    assert "401 Unauthorized" in shown
    assert "APIConnectionError: Connection error." in shown and "caused by: ConnectError" in shown


def test_seed_list_tools_url_is_refused(run) -> None:
    assert "/mcp/list_tools -> HTTP 406" in run.outputs_text()


def test_no_secret_in_outputs(run) -> None:
    text = run.outputs_text()
    assert not re.search(r"Bearer [A-Za-z0-9_\-]{20,}", text), "a bearer token was printed"
    assert not re.search(r"standin-[A-Za-z0-9_\-]{24}", text), "the stand-in's API key was printed"
    assert "Bearer <redacted>" in text


def test_standin_is_labelled(run) -> None:
    text = run.outputs_text()
    assert "STAND-IN" in text and "not a language model" in text
