"""The tool-calling loop: ask the model, run the tools it asks for, send the results back, repeat.

It works with any backend's async openai client. It stops when a reply has no `tool_calls`
(not on `finish_reason`, which some servers get wrong), or at the turn limit. Whatever goes
wrong with a tool call (unknown tool, arguments that are not JSON or break the schema, a tool
that raises or hangs) becomes a tool message the model can read; nothing raises mid-loop.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

import jsonschema
import openai
from mcp import types

from helpers.llm.backends import Backend
from helpers.llm.wire import is_json_object
from helpers.toolloop.schemas import function_to_openai, mcp_tool_to_openai, parameters_schema
from helpers.toolloop.transcript import Problem, ToolRun, Transcript, Turn


@dataclass
class ToolOutput:
    """What a tool gave back: text for the model, and whether it is an error."""

    text: str
    is_error: bool = False


@dataclass
class Tool:
    """A tool the model may call: its OpenAI description and how to run it."""

    name: str
    description: str
    parameters: dict[str, Any]
    run: Callable[[dict[str, Any]], Awaitable[ToolOutput]] = field(repr=False)
    source: str = "local"

    def openai(self) -> dict[str, Any]:
        return {
            "type": "function",
            "function": {"name": self.name, "description": self.description, "parameters": self.parameters},
        }


def _as_text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)


def local_tool(fn: Callable[..., Any], name: str | None = None) -> Tool:
    """A Tool from a typed Python function (sync functions run in a thread, so the loop stays free)."""
    spec = function_to_openai(fn, name)["function"]

    async def run(arguments: dict[str, Any]) -> ToolOutput:
        if asyncio.iscoroutinefunction(fn):
            return ToolOutput(_as_text(await fn(**arguments)))
        return ToolOutput(_as_text(await asyncio.to_thread(fn, **arguments)))

    return Tool(spec["name"], spec["description"], spec["parameters"], run, "local")


class McpToolSource(Protocol):
    """What the loop needs of an MCP connection (helpers.mcp_client.McpConnection is one)."""

    server_name: str | None

    async def list_tools(self) -> list[types.Tool]: ...

    async def call_tool(
        self, name: str, arguments: dict[str, Any] | None = None, timeout: float | None = 30.0
    ) -> types.CallToolResult: ...


def mcp_tool(
    connection: McpToolSource, tool: types.Tool, name: str | None = None, timeout: float = 30.0
) -> Tool:
    """A Tool that calls `tool` (an MCP Tool) on an open McpConnection, optionally under another name."""
    spec = mcp_tool_to_openai(tool, name)["function"]

    async def run(arguments: dict[str, Any]) -> ToolOutput:
        result = await connection.call_tool(tool.name, arguments, timeout=timeout)
        texts = [block.text for block in result.content if getattr(block, "type", "") == "text"]
        text = "\n".join(texts) if texts else _as_text(result.structuredContent or "")
        return ToolOutput(text, bool(result.isError))

    return Tool(spec["name"], spec["description"], spec["parameters"], run, f"mcp:{connection.server_name}")


async def mcp_tools(
    connection: McpToolSource, names: Iterable[str] | None = None, timeout: float = 30.0
) -> list[Tool]:
    """Tools of an open McpConnection (all, or those in `names`, in the server's order)."""
    wanted = set(names) if names is not None else None
    return [
        mcp_tool(connection, t, timeout=timeout)
        for t in await connection.list_tools()
        if wanted is None or t.name in wanted
    ]


class Toolbox:
    """The tools offered to the model, by name."""

    # Small models sometimes loop on one token until max_tokens; such "arguments" are refused, not run.
    max_argument_chars = 64_000

    def __init__(self, tools: Iterable[Tool]) -> None:
        self.tools: dict[str, Tool] = {}
        for tool in tools:
            if tool.name in self.tools:
                raise ValueError(
                    f"two tools are named {tool.name!r}; rename one (see helpers.mcp_client.tool_filter)"
                )
            self.tools[tool.name] = tool

    @property
    def names(self) -> list[str]:
        return list(self.tools)

    def openai_tools(self) -> list[dict[str, Any]]:
        return [tool.openai() for tool in self.tools.values()]

    async def execute(self, name: str, arguments: str, timeout: float) -> tuple[ToolOutput, Problem | None]:
        """Run one call; problems come back as (error output, problem kind), never as exceptions."""
        tool = self.tools.get(name)
        if tool is None:
            return ToolOutput(
                f"Error: there is no tool named {name!r}. Available tools: "
                f"{', '.join(self.names) or 'none'}.",
                True,
            ), "unknown_tool"
        if len(arguments) > self.max_argument_chars:
            return ToolOutput(
                f"Error: the arguments for {name} are {len(arguments):,} characters long; the limit is "
                f"{self.max_argument_chars:,}. Send one short JSON object that matches this schema: "
                f"{json.dumps(tool.parameters)}",
                True,
            ), "bad_arguments"
        try:
            parsed = json.loads(arguments) if arguments and arguments.strip() else {}
        except ValueError as exc:
            return ToolOutput(
                f"Error: the arguments for {name} are not valid JSON ({exc}). Send one JSON object "
                f"that matches this schema: {json.dumps(tool.parameters)}",
                True,
            ), "bad_json"
        if not isinstance(parsed, dict):
            return ToolOutput(
                f"Error: the arguments for {name} must be a JSON object, not "
                f"{type(parsed).__name__}. Schema: {json.dumps(tool.parameters)}",
                True,
            ), "bad_arguments"
        problems = sorted(jsonschema.Draft202012Validator(tool.parameters).iter_errors(parsed), key=str)
        if problems:
            where = "; ".join(
                f"{'/'.join(map(str, p.path)) or '(top level)'}: {p.message}" for p in problems[:5]
            )
            return ToolOutput(
                f"Error: the arguments for {name} do not match its schema: {where}. "
                f"Schema: {json.dumps(tool.parameters)}",
                True,
            ), "bad_arguments"
        extra = sorted(set(parsed) - set(tool.parameters.get("properties", {})))
        if (
            extra and tool.source == "local"
        ):  # a Python function would raise TypeError on them; say it plainly
            return ToolOutput(
                f"Error: {name} has no argument(s) {', '.join(map(repr, extra))}. Its arguments are: "
                f"{', '.join(tool.parameters.get('properties', {})) or 'none'}. Schema: "
                f"{json.dumps(tool.parameters)}",
                True,
            ), "bad_arguments"
        try:
            output = await asyncio.wait_for(tool.run(parsed), timeout)
        except TimeoutError:
            return ToolOutput(
                f"Error: {name} did not finish within {timeout:g} s and was cancelled. Try "
                "again later or with narrower arguments.",
                True,
            ), "timeout"
        except Exception as exc:
            return ToolOutput(f"Error: {name} failed: {type(exc).__name__}: {exc}", True), "exception"
        return output, ("tool_error" if output.is_error else None)


def _client_and_model(
    backend: Backend | openai.AsyncOpenAI, model: str | None
) -> tuple[openai.AsyncOpenAI, str]:
    if isinstance(backend, Backend):
        return backend.async_client, model or backend.model
    if model is None:
        raise ValueError("pass model=... when giving a bare client instead of a Backend")
    return backend, model


def _calls_of(message: Any, turn: int) -> list[tuple[str, str, str]]:
    """(id, name, arguments) of each tool call, with missing or repeated ids made unique.

    Small models and their servers send odd shapes: no `function`, arguments as a JSON object
    instead of a string, a non-function call type. Each is read as far as it goes, never raised on.
    """
    calls, seen = [], set()
    for index, call in enumerate(getattr(message, "tool_calls", None) or []):
        call_id = getattr(call, "id", None) or f"call_{turn}_{index}"
        while call_id in seen:  # the new id may be taken too (ids "a", "a_2", "a")
            call_id = f"{call_id}_{index}"
        seen.add(call_id)
        function = getattr(call, "function", None)
        name = getattr(function, "name", None) or ""
        arguments = getattr(function, "arguments", None)
        if arguments is not None and not isinstance(arguments, str):  # some servers send an object
            arguments = json.dumps(arguments, ensure_ascii=False)
        calls.append((call_id, str(name), arguments or ""))
    return calls


# Markers of tool calls a server left in the text: Hermes/Qwen, Mistral, Llama 3.x, phi-4-mini, Llama's <function=…>
_TEXT_CALL_MARKERS = ("<tool_call>", "[TOOL_CALLS]", "<|python_tag|>", "functools[", "<function=")
_FENCE = re.compile(r"```(?:json)?\s*(.*?)```", re.DOTALL)


def _is_call_shape(data: Any) -> bool:
    items = data if isinstance(data, list) else [data]
    return any(
        isinstance(i, dict)
        and (
            "tool_calls" in i
            or "function" in i
            or ({"name"} <= i.keys() and i.keys() & {"arguments", "parameters"})
        )
        for i in items
    )


def _looks_like_text_tool_call(content: str | None) -> bool:
    """A reply whose text is a tool call written as JSON: the server did not parse tool calls."""
    text = (content or "").strip()
    if '"tool_calls"' in text or any(marker in text for marker in _TEXT_CALL_MARKERS):
        return True
    # the whole text, each ```json fence in it, and the text from its first brace (after a preamble)
    candidates = [text, *_FENCE.findall(text), text[text.find("{") :] if "{" in text else ""]
    for candidate in candidates:
        candidate = candidate.strip()
        if not candidate.startswith(("{", "[")):
            continue
        try:
            if _is_call_shape(json.JSONDecoder().raw_decode(candidate)[0]):
                return True
        except ValueError:
            continue
    return False


async def run_tool_loop(
    backend: Backend | openai.AsyncOpenAI,
    messages: list[dict[str, Any]],
    toolbox: Toolbox,
    *,
    model: str | None = None,
    max_turns: int = 8,
    tool_timeout: float = 30.0,
    tool_choice: str = "auto",
    on_turn: Callable[[Turn], None] | None = None,
    **request: Any,
) -> Transcript:
    """Run the loop until the model answers without tool calls, or `max_turns` model requests.

    Args:
        backend: a Backend from `connect()`, or an async openai client (then pass `model`).
        messages: the conversation so far (system and user messages); it is copied, not changed.
        toolbox: the tools to offer.
        max_turns: the most model requests to make.
        tool_timeout: seconds each tool call may take before it is cancelled.
        on_turn: called after each turn (for progress displays).
        request: extra Chat Completions parameters (temperature, parallel_tool_calls, ...).

    Returns:
        A Transcript; `transcript.stop_reason` says why it ended and `final_answer` holds the answer.
    """
    client, model_id = _client_and_model(backend, model)
    history = [dict(m) for m in messages]
    question = next((m.get("content") for m in reversed(history) if m.get("role") == "user"), "") or ""
    transcript = Transcript(str(question), model_id, messages=history)
    tools = toolbox.openai_tools()
    asked: dict[tuple[str, str], int] = {}  # (tool, arguments) -> the turn that first asked for it
    repeats: dict[tuple[str, str], int] = {}  # how often each repeated call was asked for
    for number in range(1, max_turns + 1):
        started = time.monotonic()
        try:
            response = await client.chat.completions.create(
                model=model_id,
                messages=history,
                **({"tools": tools, "tool_choice": tool_choice} if tools else {}),
                **request,
            )
        except openai.APIError as exc:
            transcript.stop_reason, transcript.error = "api_error", f"{type(exc).__name__}: {exc}"
            return transcript
        choice = (getattr(response, "choices", None) or [None])[0]
        message = getattr(choice, "message", None)
        if message is None:  # e.g. HTTP 200 with {"error": ...}, as some proxies and vLLM versions send
            transcript.stop_reason, transcript.error = "api_error", _no_reply(response)
            return transcript
        calls = _calls_of(message, number)
        content = message.content
        if content is not None and not isinstance(content, str):  # a list of parts, from some servers
            content = "".join(p.get("text", "") if isinstance(p, dict) else str(p) for p in content)
        usage = getattr(response, "usage", None)
        turn = Turn(
            number,
            content,
            choice.finish_reason,
            usage=usage.model_dump() if hasattr(usage, "model_dump") else None,
        )
        transcript.turns.append(turn)
        if not calls:  # no tool_calls: this is the answer, whatever finish_reason says
            turn.seconds = time.monotonic() - started
            transcript.final_answer = content
            if not (content or "").strip():
                transcript.stop_reason = "empty_reply"
            elif _looks_like_text_tool_call(content):
                transcript.warning = (
                    "The reply's text looks like a tool call written as JSON: the server did not "
                    "turn it into tool_calls. On vLLM, start it with --enable-auto-tool-choice and "
                    "the model's --tool-call-parser."
                )
            elif choice.finish_reason == "length":
                transcript.warning = (
                    "The answer was cut off at the token limit (finish_reason 'length'): it may end "
                    "mid-sentence. Allow more tokens (max_tokens, or the server's context size) or ask "
                    "for a shorter answer."
                )
            if on_turn:
                on_turn(turn)
            return transcript
        # Conservative in what we send: `content` is always a string. OpenAI accepts null there, but
        # llama-cpp-python's server answers HTTP 500 to null and to a missing content alike.
        history.append(
            {
                "role": "assistant",
                "content": content or "",
                "tool_calls": [
                    {"id": i, "type": "function", "function": {"name": n, "arguments": _sendable(a)}}
                    for i, n, a in calls
                ],
            }
        )
        outcomes = await asyncio.gather(*(_timed(toolbox, n, a, tool_timeout) for _, n, a in calls))
        for (call_id, name, arguments), (output, problem, seconds) in zip(calls, outcomes, strict=True):
            text = output.text
            # A small model may ask for the same call turn after turn: the call still runs (results can
            # change), but the model is told it already had this result, and the user sees the count.
            key = (name, _canonical(arguments))
            if asked.get(key, number) < number and problem is None:
                repeats[key] = repeats.get(key, 1) + 1
                text += (
                    f"\n\n(Note from the tool loop: you already called {name} with these arguments in turn "
                    f"{asked[key]} and got this result. Do not call it again; answer from the results you have.)"
                )
            asked.setdefault(key, number)
            turn.tool_runs.append(ToolRun(call_id, name, arguments, text, output.is_error, problem, seconds))
            history.append({"role": "tool", "tool_call_id": call_id, "content": text})
        turn.seconds = time.monotonic() - started
        if on_turn:
            on_turn(turn)
    transcript.stop_reason = "turn_limit"
    transcript.error = f"no answer after {max_turns} model turns; the model kept calling tools"
    if repeats:
        (name, arguments), count = max(repeats.items(), key=lambda item: item[1])
        transcript.error += (
            f" (it asked for the same call {count} times: {name}({_short_text(arguments, 120)}), "
            "a loop small models fall into; try a larger model or a clearer system message)"
        )
    return transcript


def _sendable(arguments: str) -> str:
    """The arguments to echo back in history: a JSON object string, as Ollama and vLLM demand.

    Broken arguments (not JSON, or not an object) go back as "{}"; the tool message that answers
    the call already tells the model what was wrong with what it sent.
    """
    return arguments if is_json_object(arguments) else "{}"


def _canonical(arguments: str) -> str:
    try:
        return json.dumps(json.loads(arguments), sort_keys=True)
    except (TypeError, ValueError):
        return arguments.strip()


def _short_text(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit] + "…"


def _no_reply(response: Any) -> str:
    """Why a reply without a message is unusable, quoting the endpoint's own error when it sent one."""
    extra = getattr(response, "model_extra", None) or {}
    error = extra.get("error") if isinstance(extra, dict) else None
    if (
        error is None and getattr(response, "object", None) == "error"
    ):  # vLLM's shape: {"object": "error", ...}
        error = extra or "(no message)"
    if error:
        message = error.get("message", error) if isinstance(error, dict) else error
        return f"the endpoint answered HTTP 200 with an error body instead of a reply: {_short_text(str(message), 300)}"
    shown = extra or response
    return f"the reply has no choices (no message from the model): {_short_text(str(shown), 300)}"


async def _timed(
    toolbox: Toolbox, name: str, arguments: str, timeout: float
) -> tuple[ToolOutput, Problem | None, float]:
    started = time.monotonic()
    output, problem = await toolbox.execute(name, arguments, timeout)
    return output, problem, time.monotonic() - started


__all__ = [
    "Tool",
    "ToolOutput",
    "Toolbox",
    "local_tool",
    "mcp_tool",
    "mcp_tools",
    "parameters_schema",
    "run_tool_loop",
]
