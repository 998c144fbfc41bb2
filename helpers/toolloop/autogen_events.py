"""Read what an Autogen agent run did: the tool calls it asked for, the results, the final answer.

An `AssistantAgent` run returns a `TaskResult` whose `messages` interleave the user's task,
`ToolCallRequestEvent`s (the model asked for tools), `ToolCallExecutionEvent`s (the tools ran)
and the agent's final message. A model that ignores the tools it was offered produces no
`ToolCallRequestEvent` at all, which is how the "tool call ignored" row of seed 000 is detected.
`transcript_from_autogen` turns a run into the workbook's `Transcript`, for `show_run`'s viewer.
`explained_autogen_errors` turns what Autogen raises from inside when a real server or a weak model
misbehaves into an `EndpointError` that says what happened and what to do.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import openai
from autogen_agentchat.base import TaskResult
from autogen_agentchat.messages import (
    BaseChatMessage,
    HandoffMessage,
    ThoughtEvent,
    ToolCallExecutionEvent,
    ToolCallRequestEvent,
    ToolCallSummaryMessage,
)
from autogen_core import FunctionCall
from autogen_core.models import FunctionExecutionResult

from helpers.errors import EndpointError
from helpers.llm.wire import WireLog
from helpers.toolloop.transcript import Transcript, transcript_from_messages


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


def transcript_from_autogen(
    run: TaskResult | Iterable[Any],
    *,
    model: str,
    task: str | None = None,
    wire: WireLog | None = None,
) -> Transcript:
    """The workbook's Transcript of one agent's run, for `show_run`: the run as Chat Completions messages.

    The user's task becomes the user message; each `ToolCallRequestEvent` an assistant message with
    `tool_calls` (its text from a `ThoughtEvent` just before it, if any); each result of a
    `ToolCallExecutionEvent` a tool message, with the content the model was sent and its `is_error`;
    the agent's last chat message the final answer. A run that ends with a `ToolCallSummaryMessage`
    (no `reflect_on_tool_use`) or a `HandoffMessage` has no answer from the model: its transcript
    stops at the turn limit and says so. Other events (memory queries, streaming chunks) are left out.

    Args:
        run: a `TaskResult`, or its messages.
        model: the model id, for the footer.
        task: the question to show; default: the run's first message from "user".
        wire: a WireLog whose chat exchanges begin with this run's (one per model turn), for each
            turn's seconds and finish_reason; default: none shown.
    """
    chat: list[dict[str, Any]] = []
    results: list[list[FunctionExecutionResult]] = []  # per assistant message: the results of its calls
    thought: str | None = None
    ending: BaseChatMessage | None = None
    for message in _messages(run):
        if isinstance(message, ThoughtEvent):
            thought = message.content
            continue
        if isinstance(message, ToolCallRequestEvent):
            chat.append(
                {
                    "role": "assistant",
                    "content": thought,
                    "tool_calls": [
                        {
                            "id": c.id,
                            "type": "function",
                            "function": {"name": c.name, "arguments": c.arguments},
                        }
                        for c in message.content
                    ],
                }
            )
            results.append([])
        elif isinstance(message, ToolCallExecutionEvent):
            chat.extend(
                {"role": "tool", "tool_call_id": r.call_id, "content": r.content} for r in message.content
            )
            if results:
                results[-1].extend(message.content)
        elif isinstance(message, (ToolCallSummaryMessage, HandoffMessage)):
            ending = message  # written by Autogen, not by the model
        elif isinstance(message, BaseChatMessage):
            if message.source == "user":
                chat.append({"role": "user", "content": message.to_model_text()})
            else:
                chat.append({"role": "assistant", "content": message.to_model_text()})
                results.append([])
        thought = None
    answer = None
    if ending is None and chat and chat[-1]["role"] == "assistant" and "tool_calls" not in chat[-1]:
        answer = chat.pop()["content"]
        results.pop()
    if task is not None and not any(m["role"] == "user" for m in chat):
        chat.insert(0, {"role": "user", "content": task})
    transcript = transcript_from_messages(chat, answer, model=model, wire=wire)
    if task is not None:
        transcript.question = task
    # Each turn's results, matched by call id within the execution event that answered that turn
    # (ids may repeat across turns), with Autogen's own is_error rather than a guess from the text.
    for turn, turn_results in zip(transcript.turns, results, strict=False):
        by_id = {r.call_id: r for r in turn_results}
        for tool_run in turn.tool_runs:
            if (result := by_id.get(tool_run.call_id)) is not None:
                tool_run.result, tool_run.is_error = result.content, result.is_error
                tool_run.problem = "tool_error" if result.is_error else None
    if ending is not None:
        transcript.error = (
            f"Autogen ended the run with a {type(ending).__name__}, not with a reply from the model"
            + (
                " (the tool output itself: reflect_on_tool_use=True asks the model for an answer)"
                if isinstance(ending, ToolCallSummaryMessage)
                else ""
            )
        )
    elif answer is not None and not answer.strip():
        transcript.stop_reason = "empty_reply"
    return transcript


SERVERS_WITH_TOOL_CALLS = (
    "vLLM with --enable-auto-tool-choice and the model's --tool-call-parser, Ollama, or llama.cpp's "
    "llama-server --jinja"
)


def explain_autogen_error(error: BaseException) -> str | None:
    """What a server or model did to make Autogen 0.7 raise `error`, and what to do; None if unknown."""
    text = str(error)
    if isinstance(error, ValueError) and "function_call is deprecated" in text:
        return (
            "The server returned the deprecated `function_call` field next to `tool_calls`, which Autogen 0.7 "
            "refuses. Give OpenAIChatCompletionClient http_client=backend.wire.async_http_client() (the "
            f"workbook's portable transport drops the field), or use a server that sends only tool_calls: "
            f"{SERVERS_WITH_TOOL_CALLS}."
        )
    if isinstance(error, RuntimeError) and "Reflect on tool use produced no valid text response" in text:
        return (
            "The tool ran, but the model's next reply had no text, so Autogen had no answer to show "
            "(reflect_on_tool_use asks the model to answer from the tool's result). Small models do this, and "
            "so does any model on a server that drops tool results from the prompt (llama-cpp-python's "
            f"chatml-function-calling): use a larger model, or {SERVERS_WITH_TOOL_CALLS}."
        )
    if isinstance(error, openai.APIStatusError):
        hint = (
            " A schema error like this one usually means the server refuses a field the client sent (for "
            "llama-cpp-python, an assistant message whose content is null): send requests through the "
            "workbook's portable transport, http_client=backend.wire.async_http_client()."
            if error.status_code >= 500 and "validation error" in text
            else ""
        )
        return f"The model endpoint refused the request with HTTP {error.status_code}: {text[:300].rstrip('.')}.{hint}"
    if isinstance(error, openai.APITimeoutError):
        return "The model endpoint sent no reply in time: the server is busy or the model is slow. Run the cell again."
    if isinstance(error, openai.APIConnectionError):
        return "Nothing answered at the model endpoint: is the server (or its port-forward) running, and BASE_URL right?"
    return None


@contextmanager
def explained_autogen_errors() -> Iterator[None]:
    """Around an agent run: an error `explain_autogen_error` knows becomes an `EndpointError` with that
    explanation (and without Autogen's traceback); any other error passes unchanged."""
    try:
        yield
    except (ValueError, RuntimeError, openai.APIError) as error:
        explanation = explain_autogen_error(error)
        if explanation is None:
            raise
        raise EndpointError(f"{type(error).__name__} from inside Autogen: {explanation}") from None
