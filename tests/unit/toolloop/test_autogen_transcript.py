"""transcript_from_autogen on real Autogen message objects: the run as the workbook's Transcript, for show_run."""

from __future__ import annotations

import json

from autogen_agentchat.base import TaskResult
from autogen_agentchat.messages import (
    TextMessage,
    ThoughtEvent,
    ToolCallExecutionEvent,
    ToolCallRequestEvent,
    ToolCallSummaryMessage,
)
from autogen_core import FunctionCall
from autogen_core.models import FunctionExecutionResult

from helpers.llm.wire import Exchange, WireLog
from helpers.notebook.viewer import build_run_view
from helpers.toolloop.autogen_events import transcript_from_autogen

QUESTION = "What time is it in Europe/Paris?"
PARIS = {"timezone": "Europe/Paris", "datetime": "2025-09-17T17:43:05+02:00", "is_dst": True}
# What autogen-ext 0.7.5's McpToolAdapter sends the model: a JSON list of MCP content blocks.
BLOCKS = json.dumps([{"type": "text", "text": json.dumps(PARIS), "annotations": None}])
ANSWER = "The current time in Europe/Paris is 5:43 PM (CEST)."


def _call(call_id: str = "call_1", zone: str = "Europe/Paris") -> FunctionCall:
    return FunctionCall(id=call_id, arguments=json.dumps({"timezone": zone}), name="get_current_time")


def _result(content: str, call_id: str = "call_1", is_error: bool = False) -> FunctionExecutionResult:
    return FunctionExecutionResult(
        content=content, name="get_current_time", call_id=call_id, is_error=is_error
    )


def _request(*calls: FunctionCall) -> ToolCallRequestEvent:
    return ToolCallRequestEvent(source="time_assistant", content=list(calls))


def _execution(*results: FunctionExecutionResult) -> ToolCallExecutionEvent:
    return ToolCallExecutionEvent(source="time_assistant", content=list(results))


def _user() -> TextMessage:
    return TextMessage(source="user", content=QUESTION)


def _agent(text: str) -> TextMessage:
    return TextMessage(source="time_assistant", content=text)


def _tool_run() -> TaskResult:
    """A reflect_on_tool_use=True run: the task, the call, its result, the model's sentence."""
    return TaskResult(messages=[_user(), _request(_call()), _execution(_result(BLOCKS)), _agent(ANSWER)])


def _chat_exchange(finish_reason: str, seconds: float) -> Exchange:
    body = {"choices": [{"index": 0, "finish_reason": finish_reason, "message": {"role": "assistant"}}]}
    return Exchange("POST", "http://127.0.0.1:1/v1/chat/completions", {}, {}, 200, body, seconds)


def test_a_run_with_a_tool_call_becomes_two_turns_a_call_and_the_answer() -> None:
    transcript = transcript_from_autogen(_tool_run(), model="phi-4-mini")
    assert transcript.question == QUESTION and transcript.model == "phi-4-mini"
    assert len(transcript.turns) == 2  # two chat requests: the one that called the tool, the reflection
    assert transcript.tool_calls == ["get_current_time"]
    (run,) = transcript.tool_runs
    assert (run.call_id, json.loads(run.arguments)) == ("call_1", {"timezone": "Europe/Paris"})
    assert run.result == BLOCKS  # what the model was sent, content blocks and all
    assert not run.is_error and run.problem is None
    assert transcript.final_answer == ANSWER and transcript.turns[-1].content == ANSWER
    assert transcript.stop_reason == "answered" and transcript.error is None
    assert [m["role"] for m in transcript.messages] == ["user", "assistant", "tool"]
    text = str(transcript)
    assert 'TOOL CALL (turn 1): get_current_time({"timezone": "Europe/Paris"})' in text
    assert f"ANSWER: {ANSWER}" in text


def test_a_run_without_a_tool_call_is_one_turn_with_the_answer() -> None:
    transcript = transcript_from_autogen(
        TaskResult(messages=[_user(), _agent("It is probably around noon.")]), model="m"
    )
    assert len(transcript.turns) == 1 and transcript.tool_calls == [] and transcript.tool_runs == []
    assert transcript.final_answer == "It is probably around noon."
    assert transcript.stop_reason == "answered"
    assert "TOOL CALL" not in str(transcript)


def test_the_viewer_shows_the_call_the_result_and_the_answer_as_cards() -> None:
    view = build_run_view(transcript_from_autogen(_tool_run(), model="m"), None)
    assert view.cards == 4  # user, tool call, tool result, final answer
    assert "Tool call · get_current_time" in view.html and "workbook-answer" in view.html
    assert view.exchanges == 0


def test_autogens_is_error_flag_decides_not_the_texts_shape() -> None:
    run = TaskResult(
        messages=[
            _user(),
            _request(_call("a", "Mars/Olympus"), _call("b")),
            _execution(
                _result("Invalid timezone: Mars/Olympus", "a", is_error=True), _result("Error-free", "b")
            ),
            _agent("Mars has no time zone; Paris: 5:43 PM."),
        ]
    )
    first, second = transcript_from_autogen(run, model="m").tool_runs
    assert (first.is_error, first.problem, first.result) == (
        True,
        "tool_error",
        "Invalid timezone: Mars/Olympus",
    )
    assert (second.is_error, second.problem) == (False, None)  # "Error-free" starts with "Error"


def test_call_ids_repeated_across_turns_keep_their_own_results() -> None:
    """Some servers number calls per turn (call_1 again): each turn gets the result of its own call."""
    run = TaskResult(
        messages=[
            _user(),
            _request(_call("call_1", "Europe/Paris")),
            _execution(_result("paris", "call_1")),
            _request(_call("call_1", "Asia/Tokyo")),
            _execution(_result("tokyo", "call_1")),
            _agent(ANSWER),
        ]
    )
    transcript = transcript_from_autogen(run, model="m")
    assert [r.result for r in transcript.tool_runs] == ["paris", "tokyo"]
    assert [t.number for t in transcript.turns if t.tool_runs] == [1, 2] and len(transcript.turns) == 3


def test_a_thought_before_the_call_is_that_turns_text() -> None:
    run = TaskResult(
        messages=[
            _user(),
            ThoughtEvent(source="time_assistant", content="I will ask the Time server."),
            _request(_call()),
            _execution(_result(BLOCKS)),
            _agent(ANSWER),
        ]
    )
    transcript = transcript_from_autogen(run, model="m")
    assert transcript.turns[0].content == "I will ask the Time server."
    assert transcript.turns[1].content == ANSWER


def test_a_summary_ending_is_no_answer_from_the_model() -> None:
    """reflect_on_tool_use=False: Autogen ends with the tool output, and no second chat request is made."""
    summary = ToolCallSummaryMessage(
        source="time_assistant", content=BLOCKS, tool_calls=[_call()], results=[_result(BLOCKS)]
    )
    transcript = transcript_from_autogen(
        TaskResult(messages=[_user(), _request(_call()), _execution(_result(BLOCKS)), summary]), model="m"
    )
    assert len(transcript.turns) == 1 and transcript.tool_calls == ["get_current_time"]
    assert transcript.final_answer is None and transcript.stop_reason == "turn_limit"
    assert "ToolCallSummaryMessage" in (transcript.error or "")
    assert "reflect_on_tool_use=True" in transcript.explanation


def test_an_empty_reply_is_said_to_be_one() -> None:
    transcript = transcript_from_autogen(TaskResult(messages=[_user(), _agent("")]), model="m")
    assert transcript.stop_reason == "empty_reply" and transcript.final_answer == ""


def test_task_names_the_question_when_the_messages_hold_none() -> None:
    messages = _tool_run().messages[1:]  # a plain list, without the user's task
    transcript = transcript_from_autogen(messages, model="m", task=QUESTION)
    assert transcript.question == QUESTION and transcript.messages[0] == {"role": "user", "content": QUESTION}
    assert transcript.tool_calls == ["get_current_time"] and transcript.final_answer == ANSWER
    assert transcript_from_autogen(messages, model="m").question == ""


def test_the_wire_gives_each_turn_its_seconds_and_finish_reason() -> None:
    wire = WireLog()
    wire.exchanges = [_chat_exchange("tool_calls", 0.25), _chat_exchange("stop", 1.5)]
    transcript = transcript_from_autogen(_tool_run(), model="m", wire=wire)
    assert [(t.seconds, t.finish_reason) for t in transcript.turns] == [(0.25, "tool_calls"), (1.5, "stop")]
    without = transcript_from_autogen(_tool_run(), model="m")
    assert [(t.seconds, t.finish_reason) for t in without.turns] == [(0.0, None), (0.0, None)]
