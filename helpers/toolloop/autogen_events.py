"""Read what an Autogen agent run did: the tool calls it asked for, the results, the final answer.

An `AssistantAgent` run returns a `TaskResult` whose `messages` interleave the user's task,
`ToolCallRequestEvent`s (the model asked for tools), `ToolCallExecutionEvent`s (the tools ran)
and the agent's final message. A model that ignores the tools it was offered produces no
`ToolCallRequestEvent` at all, which is how the "tool call ignored" row of seed 000 is detected.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from autogen_agentchat.base import TaskResult
from autogen_agentchat.messages import (
    BaseChatMessage,
    ToolCallExecutionEvent,
    ToolCallRequestEvent,
    ToolCallSummaryMessage,
)
from autogen_core import FunctionCall
from autogen_core.models import FunctionExecutionResult


def _messages(run: TaskResult | Iterable[Any]) -> list[Any]:
    return list(run.messages if isinstance(run, TaskResult) else run)


def tool_calls_in(run: TaskResult | Iterable[Any]) -> list[FunctionCall]:
    """Every function call the model asked for, in order (empty when it called no tool)."""
    return [call for m in _messages(run) if isinstance(m, ToolCallRequestEvent) for call in m.content]


def tool_was_called(run: TaskResult | Iterable[Any]) -> bool:
    """True when the model asked for at least one tool during the run."""
    return bool(tool_calls_in(run))


def tool_results_in(run: TaskResult | Iterable[Any]) -> list[FunctionExecutionResult]:
    """Every tool result the agent got back, in order (`is_error` says whether the tool failed)."""
    return [r for m in _messages(run) if isinstance(m, ToolCallExecutionEvent) for r in m.content]


def result_text(result: FunctionExecutionResult | str) -> str:
    """The text of a tool result, unwrapping MCP content blocks.

    Autogen's `McpToolAdapter` serialises an MCP result as a JSON list of content blocks
    (`[{"type": "text", "text": "..."}]`); `McpWorkbench` passes the text itself. Both give the text.
    """
    content = result if isinstance(result, str) else result.content
    try:
        blocks = json.loads(content)
    except ValueError:
        return content
    if (
        isinstance(blocks, list)
        and blocks
        and all(isinstance(b, dict) and b.get("type") == "text" for b in blocks)
    ):
        return "\n".join(str(b.get("text", "")) for b in blocks)
    return content


def result_json(result: FunctionExecutionResult | str) -> Any:
    """The tool result parsed as JSON (the Time MCP server answers JSON text).

    Raises:
        ValueError: the result's text is not JSON (an error message, for example).
    """
    return json.loads(result_text(result))


def final_answer(run: TaskResult | Iterable[Any]) -> str:
    """The text of the agent's last chat message (its answer), or "" when there is none."""
    for message in reversed(_messages(run)):
        if isinstance(message, BaseChatMessage) and message.source != "user":
            return message.to_text()
    return ""


def answered_from_tools(run: TaskResult | Iterable[Any]) -> bool:
    """True when the answer is the model's own words after the tool results (reflect_on_tool_use).

    Without reflection Autogen ends the run with a `ToolCallSummaryMessage`: the raw tool output.
    """
    messages = _messages(run)
    return (
        tool_was_called(messages) and bool(messages) and not isinstance(messages[-1], ToolCallSummaryMessage)
    )
