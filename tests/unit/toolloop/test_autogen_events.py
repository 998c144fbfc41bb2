"""helpers.toolloop.autogen_events on real Autogen message objects: tool calls, results, answers, ignored tools."""

from __future__ import annotations

import json

import pytest
from autogen_agentchat.base import TaskResult
from autogen_agentchat.messages import (
    TextMessage,
    ToolCallExecutionEvent,
    ToolCallRequestEvent,
    ToolCallSummaryMessage,
)
from autogen_core import FunctionCall
from autogen_core.models import FunctionExecutionResult

from helpers.toolloop.autogen_events import (
    answered_from_tools,
    final_answer,
    result_json,
    result_text,
    tool_calls_in,
    tool_results_in,
    tool_was_called,
)

PARIS = {"timezone": "Europe/Paris", "datetime": "2025-09-17T17:43:05+02:00", "is_dst": True}
CALL = FunctionCall(id="call_1", arguments='{"timezone": "Europe/Paris"}', name="get_current_time")
# What autogen-ext 0.7.5's McpToolAdapter makes of an MCP result: a JSON list of content blocks.
BLOCKS = json.dumps([{"type": "text", "text": json.dumps(PARIS, indent=2), "annotations": None}])


def _task(*messages) -> TaskResult:
    return TaskResult(messages=list(messages))


def _tool_run(final) -> TaskResult:
    return _task(
        TextMessage(source="user", content="What time is it in Europe/Paris?"),
        ToolCallRequestEvent(source="agent", content=[CALL]),
        ToolCallExecutionEvent(
            source="agent",
            content=[
                FunctionExecutionResult(
                    content=BLOCKS, name="get_current_time", call_id="call_1", is_error=False
                )
            ],
        ),
        final,
    )


def test_tool_call_detected_with_its_name_and_arguments() -> None:
    run = _tool_run(TextMessage(source="agent", content="It is 5:43 PM in Paris."))
    assert tool_was_called(run)
    assert [(c.name, json.loads(c.arguments)) for c in tool_calls_in(run)] == [
        ("get_current_time", {"timezone": "Europe/Paris"})
    ]
    assert final_answer(run) == "It is 5:43 PM in Paris."
    assert answered_from_tools(run)


def test_tool_call_ignored_is_detected() -> None:
    run = _task(
        TextMessage(source="user", content="What time is it in Europe/Paris?"),
        TextMessage(source="agent", content="It is probably around noon."),
    )
    assert not tool_was_called(run)
    assert tool_calls_in(run) == [] and tool_results_in(run) == []
    assert not answered_from_tools(run)
    assert final_answer(run) == "It is probably around noon."


def test_accepts_a_plain_message_list() -> None:
    messages = _tool_run(TextMessage(source="agent", content="ok")).messages
    assert tool_was_called(messages) and len(tool_results_in(messages)) == 1


def test_summary_message_is_not_an_answer_from_the_model() -> None:
    run = _tool_run(ToolCallSummaryMessage(source="agent", content=BLOCKS, tool_calls=[CALL], results=[]))
    assert tool_was_called(run) and not answered_from_tools(run)


def test_result_json_unwraps_mcp_content_blocks_and_plain_text() -> None:
    result = tool_results_in(_tool_run(TextMessage(source="agent", content="ok")))[0]
    assert result_json(result) == PARIS
    assert result_json(json.dumps(PARIS)) == PARIS  # McpWorkbench passes the text itself
    assert result_text("Error: unknown timezone") == "Error: unknown timezone"
    with pytest.raises(ValueError):
        result_json("Error: unknown timezone")


def test_final_answer_empty_without_agent_message() -> None:
    assert final_answer(_task(TextMessage(source="user", content="hi"))) == ""
