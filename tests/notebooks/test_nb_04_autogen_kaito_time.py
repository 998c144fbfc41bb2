"""Notebook 04 runs offline: Autogen + the Time MCP server + the stand-in posing as KAITO's phi-4-mini."""

from __future__ import annotations

import html
import json
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

pytestmark = pytest.mark.notebook
NOTEBOOK = "04_autogen_kaito_time.ipynb"
QUESTION = "What time is it in Europe/Paris?"


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


def _ran_at(run) -> datetime:
    """When the notebook ran: the executed file's modification time (papermill writes it at the end)."""
    return datetime.fromtimestamp(run.path.stat().st_mtime).astimezone()


def test_tool_call_and_tool_result(run) -> None:
    records = run.records
    assert records["tool_call"] == {"name": "get_current_time", "arguments": {"timezone": "Europe/Paris"}}
    result = records["tool_result"]
    assert result["timezone"] == "Europe/Paris"
    reported = datetime.fromisoformat(result["datetime"])
    assert timedelta(0) <= _ran_at(run) - reported < timedelta(minutes=10)  # during this run
    paris = reported.astimezone(ZoneInfo("Europe/Paris"))
    assert result["datetime"] == paris.isoformat()  # Paris's own offset at that instant, per zoneinfo
    assert result["is_dst"] == bool(paris.dst())
    assert result["day_of_week"] == paris.strftime("%A")


def test_final_answer_states_the_clock_time_of_the_tool_result(run) -> None:
    records = run.records
    reported = datetime.fromisoformat(records["tool_result"]["datetime"])
    answer = records["final_answer"]
    assert _clock(reported) in answer
    assert "Europe/Paris" in answer and "stand-in" in answer


def _conversion(
    result: dict, source_zone: str, target_zone: str, clock: tuple[int, int]
) -> tuple[datetime, datetime]:
    """(source, target) as zoneinfo has them for the date in the tool's own `source.datetime`."""
    day = datetime.fromisoformat(result["source"]["datetime"]).date()
    source = datetime(day.year, day.month, day.day, *clock, tzinfo=ZoneInfo(source_zone))
    return source, source.astimezone(ZoneInfo(target_zone))


def test_convert_answer_is_right_for_the_servers_date(run) -> None:
    result = run.records["convert_result"]
    departure, tokyo = _conversion(result, "America/New_York", "Asia/Tokyo", (9, 30))
    ran_on = _ran_at(run).astimezone(ZoneInfo("America/New_York")).date()
    assert abs(departure.date() - ran_on) <= timedelta(days=1)  # the server's today
    assert result["source"]["datetime"] == departure.isoformat()  # 9:30 with New York's offset that day
    assert result["source"]["is_dst"] == bool(departure.dst())
    assert result["target"]["datetime"] == tokyo.isoformat()
    assert result["time_difference"] == ("+13.0h" if departure.dst() else "+14.0h")
    answer = run.records["convert_answer"]
    assert _clock(tokyo) in answer
    assert run.records["convert_expected"] == tokyo.isoformat()
    assert ("10:30 PM" in answer) == bool(departure.dst())  # the seed's answer only in northern summer
    assert ("11:30 PM" in answer) == (not departure.dst())


def test_workbench_conversion_is_right_for_the_servers_date(run) -> None:
    result = run.records["workbench_result"]
    london, sydney = _conversion(result, "Europe/London", "Australia/Sydney", (14, 0))
    assert result["source"]["datetime"] == london.isoformat()
    assert result["target"]["datetime"] == sydney.isoformat()  # the date too: 11 PM that day or 1 AM the next
    assert _clock(sydney) in run.records["workbench_answer"]


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
    by_tool = {"get_current_time": 3, "convert_time": 2}
    assert calls["server_by_tool"] == by_tool  # counted by the Time MCP server's front, not by Autogen
    assert calls["autogen_by_tool"] == by_tool
    assert calls["tool_calls_in_runs"] == 5
    assert calls["tool_calls_requested"] == calls["tool_calls_in_runs"]
    assert calls["tool_results_ok"] == 5 and calls["tool_results_error"] == 0


def test_autogen_went_through_the_portable_transport(run) -> None:
    """Every chat request the stand-in answered passed the workbook's PortableTransport (backend.wire logged it)."""
    wire = run.records["wire"]
    # paris, convert, workbench, reachable and retried: two requests each (the call, the reflection);
    # the ignored-tools run: one. The unreachable client's attempt got no answer.
    assert wire == {"chat_exchanges_answered": 11, "standin_chat_requests": 11}


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


def test_the_viewer_shows_the_paris_run_as_cards_beside_its_two_chat_requests(run) -> None:
    records = run.records
    assert records["viewer"] is True and records["cassette"] is None
    cards, _, wire = run.viewer_html().partition("<div class='workbook-wire'>")
    assert html.escape(QUESTION) in cards
    assert cards.count("class='workbook-card workbook-call'") == 1  # the one tool call, as a card
    assert "Tool call · get_current_time" in cards
    assert html.escape('"timezone": "Europe/Paris"') in cards  # its arguments, as the model sent them
    assert cards.count("class='workbook-card workbook-result'") == 1
    assert html.escape(records["tool_result"]["datetime"]) in cards  # the Time server's answer
    assert cards.count("class='workbook-card workbook-answer'") == 1
    assert "(2 model turns," in cards
    # The right side: the two chat requests the Autogen model client made, as backend.wire logged them.
    assert len(re.findall(r"<summary><b>#\d+ POST /v1/chat/completions → 200", wire)) == 2
    bodies = re.findall(r"<summary>Response body</summary><pre>(.*?)</pre>", wire, re.S)
    first, second = (json.loads(html.unescape(body))["choices"][0]["message"] for body in bodies)
    assert [(c["function"]["name"], json.loads(c["function"]["arguments"])) for c in first["tool_calls"]] == [
        ("get_current_time", {"timezone": "Europe/Paris"})
    ]
    assert second["content"] == records["final_answer"]


def test_record_against_a_live_endpoint_writes_a_cassette_of_every_answered_request(
    standin, monkeypatch, tmp_path
) -> None:
    """RECORD=True with an OpenAI-compatible endpoint (a stand-in posing as one) saves the Autogen runs."""
    from helpers.llm import cassette_name
    from helpers.standin.cassette import Cassette
    from tests.support.notebooks import EXECUTED, NOTEBOOKS, execute, recording_against

    parameters = recording_against(standin, monkeypatch, tmp_path)
    live = execute(NOTEBOOKS / NOTEBOOK, EXECUTED / "04_autogen_kaito_time-RECORD.ipynb", parameters)
    records = live.records
    assert records["standin"] is False and records["viewer"] is True
    assert records["cassette"] == cassette_name(NOTEBOOK, standin.model_ids[0]) + ".json"
    text = (tmp_path / records["cassette"]).read_text(encoding="utf-8")
    assert standin.api_key not in text and standin.api_key not in live.outputs_text()
    # paris, convert, workbench, reachable, ignored (on a live endpoint nothing is injected, so the model
    # calls the tool) and retried: two answered requests each; the refused one is not kept
    assert records["wire"]["chat_exchanges_answered"] == 12
    assert len(Cassette.load(tmp_path / records["cassette"]).exchanges) == 12
