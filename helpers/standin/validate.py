"""Checks on an incoming chat request.

`check_chat_request` refuses what OpenAI refuses, with the same kind of message. `check_strict`
(strict mode) also refuses request shapes that OpenAI accepts but stricter OpenAI-compatible
servers (llama.cpp, llama-cpp-python, vLLM, Ollama, Azure) do not; each rule cites its source.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

ROLES = {"system", "developer", "user", "assistant", "tool", "function"}


class BadRequest(Exception):
    """A request the stand-in refuses with status 400 (or `status`)."""

    def __init__(self, message: str, param: str | None = None, status: int = 400, code: str | None = None):
        super().__init__(message)
        self.message, self.param, self.status, self.code = message, param, status, code


def check_chat_request(body: Any, model_required: bool = True) -> None:
    """Raise BadRequest when `body` is not a valid chat completions request."""
    if not isinstance(body, dict):
        raise BadRequest("The request body must be a JSON object.")
    if model_required and not isinstance(body.get("model"), str):
        raise BadRequest("you must provide a model parameter", param="model")
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise BadRequest("'messages' must be a non-empty array of message objects.", param="messages")
    open_calls: set[str] = set()
    for i, message in enumerate(messages):
        if not isinstance(message, dict) or message.get("role") not in ROLES:
            raise BadRequest(
                f"messages[{i}] must be an object whose 'role' is one of {sorted(ROLES)}.",
                param=f"messages[{i}].role",
            )
        role = message["role"]
        if role == "tool":
            call_id = message.get("tool_call_id")
            if not call_id:
                raise BadRequest(
                    f"messages[{i}]: a 'tool' message needs 'tool_call_id'.",
                    param=f"messages[{i}].tool_call_id",
                )
            if call_id not in open_calls:
                raise BadRequest(
                    f"messages[{i}]: 'tool' messages must answer a 'tool_calls' entry of the "
                    f"preceding assistant message; no call has id {call_id!r}.",
                    param=f"messages[{i}]",
                )
            open_calls.discard(call_id)
            continue
        if open_calls:
            raise BadRequest(
                "An assistant message with 'tool_calls' must be followed by tool messages "
                f"responding to each 'tool_call_id'. Missing: {sorted(open_calls)}.",
                param=f"messages[{i}]",
            )
        if role == "assistant":
            for j, call in enumerate(message.get("tool_calls") or []):
                if (
                    not isinstance(call, dict)
                    or not call.get("id")
                    or not isinstance(call.get("function"), dict)
                ):
                    raise BadRequest(
                        f"messages[{i}].tool_calls[{j}] needs 'id', 'type' and 'function'.",
                        param=f"messages[{i}].tool_calls[{j}]",
                    )
                open_calls.add(call["id"])
    if open_calls:
        raise BadRequest(
            "An assistant message with 'tool_calls' must be followed by tool messages "
            f"responding to each 'tool_call_id'. Missing: {sorted(open_calls)}.",
            param="messages",
        )
    tools = body.get("tools")
    if tools is not None:
        if not isinstance(tools, list):
            raise BadRequest("'tools' must be an array.", param="tools")
        for i, tool in enumerate(tools):
            function = tool.get("function") if isinstance(tool, dict) else None
            if not isinstance(function, dict) or not isinstance(function.get("name"), str):
                raise BadRequest(
                    f"tools[{i}] must look like {{'type': 'function', 'function': {{'name': ...}}}}.",
                    param=f"tools[{i}]",
                )
            parameters = function.get("parameters")
            if parameters is not None and not isinstance(parameters, dict):
                raise BadRequest(
                    f"tools[{i}].function.parameters must be a JSON schema object.",
                    param=f"tools[{i}].function.parameters",
                )


# --- strict mode ---------------------------------------------------------------------------------
# The default mode accepts every request shape below (OpenAI itself accepts most of them); some real
# OpenAI-compatible server refuses each. In strict mode (`StandIn(strict=True)` or
# WORKBOOK_STANDIN_STRICT=1) the stand-in refuses them with HTTP 400, so code that only works against
# OpenAI fails here first. Each rule says which servers refuse it, how to fix it, and its source.


@dataclass(frozen=True)
class StrictRule:
    """One request shape some real OpenAI-compatible server refuses."""

    code: str
    servers: str  # who refuses it, and how
    fix: str
    source: str  # where that behaviour is written down


ASSISTANT_CONTENT_NULL = StrictRule(
    "assistant_content_null",
    'llama-cpp-python\'s server refuses it (HTTP 500 "validation errors"), and so did older builds of '
    "llama.cpp's llama-server (\"Expected 'content' to be a string or an array\")",
    'leave `content` out or send a string ("" when the reply only calls tools)',
    "abetlen/llama-cpp-python llama_cpp/llama_types.py ChatCompletionRequestAssistantMessage "
    "(content: NotRequired[str]); ggml-org/llama.cpp#13471",
)
"""An assistant message with `"content": null`.

llama-cpp-python types the assistant message as `content: NotRequired[str]` (llama_cpp/llama_types.py),
so null fails pydantic validation, which its server reports as HTTP 500; llama.cpp issue #13471.
"""

MISSING_CONTENT = StrictRule(
    "missing_content",
    'Ollama refuses it (HTTP 400 "invalid message content type: <nil>"; content may only be absent '
    "next to tool_calls); llama.cpp's llama-server refuses a missing one (\"All non-assistant messages "
    "must contain 'content'\", \"Expected 'content' or 'tool_calls'\") and its May 2025 builds from b5331 "
    "until #13477 a null one too (\"Expected 'content' to be a string or an array\"); llama-cpp-python's "
    'server refuses a missing one on a tool message (HTTP 500 "validation errors")',
    'send `content` as a string ("" if there is nothing to say, e.g. an empty tool result)',
    "ollama/ollama openai/openai.go FromChatRequest; ggml-org/llama.cpp tools/server/utils.hpp and "
    "common/chat.cpp common_chat_msgs_parse_oaicompat, ggml-org/llama.cpp#13471 (fixed by #13477); "
    "abetlen/llama-cpp-python llama_cpp/llama_types.py ChatCompletionRequestToolMessage",
)
"""A system, user or tool message whose `content` is null or missing, or an assistant message with
neither `content` nor `tool_calls`.

Ollama's OpenAI layer (openai/openai.go, FromChatRequest) accepts a string or a list of parts and
otherwise errors "invalid message content type: %T" unless tool_calls are present: a tool message
with `"content": null` (which some clients send for an empty tool result) is refused. llama.cpp's
server requires the `content` key on every non-assistant message; current builds read null as empty,
builds b5331 until PR #13477 (May 2025) refused it on every message. llama-cpp-python 0.3.36 types
tool content as a required `Optional[str]`: null passes, a missing key is HTTP 500 (both tried against
the workbook's local server, 2026-11-21).
"""

CONTENT_TYPE = StrictRule(
    "content_type",
    "llama.cpp's llama-server (\"Expected 'content' to be a string or an array\"), Ollama (\"invalid message "
    'content type") and vLLM (pydantic validation error, HTTP 400) refuse it',
    "send the text, e.g. `json.dumps(result)` for a tool result that is an object",
    "ggml-org/llama.cpp tools/server/utils.hpp oaicompat_chat_params_parse; ollama/ollama openai/openai.go; "
    "nextcloud/integration_openai#360 (a vLLM-based server answering 400)",
)
"""A message `content` that is neither a string nor a list of content parts (an object, a number)."""

CONTENT_PARTS_ROLE = StrictRule(
    "content_parts_role",
    'llama-cpp-python\'s server refuses it (HTTP 500 "validation errors"): only user messages may carry '
    "a list of content parts there",
    "join the text parts into one string",
    "abetlen/llama-cpp-python llama_cpp/llama_types.py: system and tool content is Optional[str], "
    "assistant content NotRequired[str]",
)
"""A list of content parts on a system, assistant or tool message (OpenAI allows text parts there)."""

DEVELOPER_ROLE = StrictRule(
    "developer_role",
    'llama-cpp-python\'s server refuses it (HTTP 500 "validation errors"): its roles are system, user, '
    "assistant, tool and function",
    'send the instructions with role "system"',
    "abetlen/llama-cpp-python llama_cpp/llama_types.py ChatCompletionRequestMessage",
)
"""A message with role "developer" (OpenAI's newer name for system instructions)."""

EMPTY_TOOL_CALLS = StrictRule(
    "empty_tool_calls",
    "vLLM refuses it with the Llama 3.1/3.2 chat templates, which require exactly one call whenever "
    "`tool_calls` is present (newer vLLM drops the empty list first)",
    "leave `tool_calls` out when there are no calls",
    "vllm-project/vllm#13978, #12937 (fixed by #30648)",
)
"""An assistant message with `"tool_calls": []`."""

TOOL_CALL_SHAPE = StrictRule(
    "tool_call_shape",
    'llama.cpp\'s llama-server ("Missing tool call type", "Unsupported tool call type", "Missing tool call '
    'name") and llama-cpp-python\'s server (id: str, type: "function") refuse it',
    'send each call as {"id": "...", "type": "function", "function": {"name": "...", "arguments": "{...}"}}',
    "ggml-org/llama.cpp common/chat.cpp common_chat_msgs_parse_oaicompat; abetlen/llama-cpp-python "
    "llama_cpp/llama_types.py ChatCompletionMessageToolCall",
)
"""A `tool_calls` entry without `"type": "function"`, or whose `id` or `function.name` is not a string."""

TOOL_CALL_ARGUMENTS = StrictRule(
    "tool_call_arguments",
    'Ollama refuses it (HTTP 400 "invalid tool call arguments": it decodes the string into an object) '
    "and vLLM re-parses the arguments of earlier calls (HTTP 400 with the JSON decoder's message)",
    'send `arguments` as a string holding a JSON object ("{}" for none); repair or replace a model\'s '
    "malformed arguments before sending the call back",
    "ollama/ollama openai/openai.go FromCompletionToolCall; vllm-project/vllm#43995 and #48922 "
    "(chat_utils._postprocess_messages)",
)
"""`tool_calls[].function.arguments` that is not a string holding a JSON object ("", "{broken", an object)."""

NAME_NOT_STRING = StrictRule(
    "name_not_string",
    "llama.cpp's llama-server refuses it: it copies `name` into a C++ string and a null there throws "
    "(type_error.302)",
    "leave `name` out or send a string",
    'ggml-org/llama.cpp common/chat.cpp common_chat_msgs_parse_oaicompat (msg.tool_name = message.at("name"))',
)
"""A message whose `name` is present but not a string (usually null)."""

TOOL_DEFINITION = StrictRule(
    "tool_definition",
    'llama.cpp\'s llama-server refuses a tool without `type` ("Missing tool type") and, in some builds, '
    "without `function.parameters`; llama-cpp-python's server requires both (HTTP 500)",
    'send {"type": "function", "function": {"name": ..., "description": ..., "parameters": '
    '{"type": "object", "properties": {}}}}',
    "ggml-org/llama.cpp common/chat.cpp common_chat_tools_parse_oaicompat, ggml-org/llama.cpp#17667; "
    "abetlen/llama-cpp-python llama_cpp/llama_types.py ChatCompletionTool, ChatCompletionToolFunction",
)
"""A `tools` entry without `"type": "function"` or without `function.parameters` (optional for OpenAI)."""

TOOL_CHOICE = StrictRule(
    "tool_choice",
    'vLLM refuses it (HTTP 400 "When using `tool_choice`, `tools` must be set." / "The tool specified in '
    '`tool_choice` does not match any of the specified `tools`")',
    "send `tool_choice` only together with `tools`, naming one of them",
    "vllm-project/vllm vllm/entrypoints/openai/protocol.py ChatCompletionRequest.check_tool_usage",
)
"""`tool_choice` other than "none" without `tools`, or naming a function that is not offered."""

STREAM_OPTIONS = StrictRule(
    "stream_options",
    'vLLM refuses it (HTTP 400 "Stream options can only be defined when `stream=True`.")',
    'send `stream_options` only with `"stream": true`',
    "vllm-project/vllm vllm/entrypoints/openai/protocol.py ChatCompletionRequest.validate_stream_options",
)
"""`stream_options` on a request that does not stream."""

DEPRECATED_FUNCTIONS = StrictRule(
    "deprecated_functions",
    "Azure OpenAI refuses them on deployments and API versions without function calling (HTTP 400 "
    '"Unrecognized request argument supplied: functions"), and vLLM and Ollama silently ignore them, so no '
    "tool is ever called",
    "offer the functions as `tools` and choose with `tool_choice`",
    "MicrosoftDocs/azure-docs#112948; vllm-project/vllm protocol.py and ollama/ollama openai/openai.go "
    "(no such request fields)",
)
"""The deprecated `functions` / `function_call` request fields."""

UNKNOWN_FIELD = StrictRule(
    "unknown_field",
    'Azure OpenAI refuses arguments its API version does not know (HTTP 400 "Unrecognized request argument '
    'supplied: ..."); vLLM, llama.cpp and Ollama drop them without a word',
    "remove it, or send it only to the server that documents it",
    'openai/openai-python#1724 (Azure: "Unrecognized request argument supplied: max_completion_tokens")',
)
"""A top-level field that is not a Chat Completions parameter."""

STRICT_RULES = (
    ASSISTANT_CONTENT_NULL,
    MISSING_CONTENT,
    CONTENT_TYPE,
    CONTENT_PARTS_ROLE,
    DEVELOPER_ROLE,
    EMPTY_TOOL_CALLS,
    TOOL_CALL_SHAPE,
    TOOL_CALL_ARGUMENTS,
    NAME_NOT_STRING,
    TOOL_DEFINITION,
    TOOL_CHOICE,
    STREAM_OPTIONS,
    DEPRECATED_FUNCTIONS,
    UNKNOWN_FIELD,
)

# The request fields of Chat Completions (openai-python's CompletionCreateParams, plus `stream`).
CHAT_FIELDS = frozenset(
    """audio frequency_penalty function_call functions logit_bias logprobs max_completion_tokens
max_tokens messages metadata modalities model moderation n parallel_tool_calls prediction presence_penalty
prompt_cache_key prompt_cache_options prompt_cache_retention reasoning_effort response_format safety_identifier
seed service_tier stop store stream stream_options temperature tool_choice tools top_logprobs top_p user
verbosity web_search_options""".split()
)


@dataclass(frozen=True)
class Violation:
    """Where a request breaks a strict rule, and what is there."""

    rule: StrictRule
    path: str  # e.g. "messages[2].content"
    found: str  # e.g. "null on an assistant message"

    def message(self) -> str:
        return (
            f"Strict mode: `{self.path}` is {self.found}. Real servers: {self.rule.servers}. "
            f"Fix: {self.rule.fix}. (Source: {self.rule.source}.)"
        )


def _message_violations(i: int, message: dict[str, Any]) -> list[Violation]:
    found: list[Violation] = []
    role, at = message.get("role"), f"messages[{i}]"
    content, calls = message.get("content"), message.get("tool_calls")
    if role == "developer":
        found.append(Violation(DEVELOPER_ROLE, f"{at}.role", '"developer"'))
    if role == "assistant":
        if "content" in message and content is None:
            found.append(Violation(ASSISTANT_CONTENT_NULL, f"{at}.content", "null on an assistant message"))
        elif "content" not in message and not calls:
            found.append(
                Violation(
                    MISSING_CONTENT,
                    f"{at}.content",
                    "missing on an assistant message that has no tool_calls either",
                )
            )
        if isinstance(calls, list) and not calls:
            found.append(Violation(EMPTY_TOOL_CALLS, f"{at}.tool_calls", "an empty list"))
    elif content is None:
        found.append(
            Violation(
                MISSING_CONTENT,
                f"{at}.content",
                f"{'null' if 'content' in message else 'missing'} on a {role} message",
            )
        )
    if content is not None and not isinstance(content, str | list):
        found.append(Violation(CONTENT_TYPE, f"{at}.content", f"a JSON {_json_type(content)}, not a string"))
    if isinstance(content, list) and role != "user":
        found.append(
            Violation(CONTENT_PARTS_ROLE, f"{at}.content", f"a list of content parts on a {role} message")
        )
    if "name" in message and not isinstance(message["name"], str):
        found.append(Violation(NAME_NOT_STRING, f"{at}.name", _json_type(message["name"])))
    for j, call in enumerate(calls if isinstance(calls, list) else []):
        where = f"{at}.tool_calls[{j}]"
        function = call.get("function") if isinstance(call, dict) else None
        if not isinstance(call, dict) or not isinstance(function, dict):
            continue  # the default checks already refuse these
        if call.get("type") != "function":
            found.append(Violation(TOOL_CALL_SHAPE, f"{where}.type", _not_function(call)))
        if not isinstance(call.get("id"), str):
            found.append(Violation(TOOL_CALL_SHAPE, f"{where}.id", f"a JSON {_json_type(call.get('id'))}"))
        if not isinstance(function.get("name"), str):
            found.append(
                Violation(TOOL_CALL_SHAPE, f"{where}.function.name", _json_type(function.get("name")))
            )
        problem = _arguments_problem(function.get("arguments"), "arguments" in function)
        if problem:
            found.append(Violation(TOOL_CALL_ARGUMENTS, f"{where}.function.arguments", problem))
    return found


def _not_function(entry: dict[str, Any]) -> str:
    return "missing" if "type" not in entry else f'{json.dumps(entry["type"])}, not "function"'


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    return {
        bool: "boolean",
        int: "number",
        float: "number",
        str: "string",
        list: "array",
        dict: "object",
    }.get(type(value), type(value).__name__)


def _arguments_problem(arguments: Any, present: bool) -> str | None:
    if not present:
        return "missing"
    if not isinstance(arguments, str):
        return f"a JSON {_json_type(arguments)}, not a string holding JSON"
    try:
        decoded = json.loads(arguments)
    except ValueError:
        shown = arguments if len(arguments) <= 60 else arguments[:60] + "…"
        return f"not valid JSON ({json.dumps(shown)})"
    if not isinstance(decoded, dict):
        return f"JSON, but a {_json_type(decoded)}, not an object"
    return None


def strict_violations(body: dict[str, Any]) -> list[Violation]:
    """Every strict-mode rule `body` breaks, in request order (run after `check_chat_request`)."""
    found: list[Violation] = []
    for key in body:
        if key in ("functions", "function_call"):
            found.append(Violation(DEPRECATED_FUNCTIONS, key, "a deprecated field"))
        elif key not in CHAT_FIELDS:
            found.append(Violation(UNKNOWN_FIELD, key, "not a Chat Completions request field"))
    for i, message in enumerate(body.get("messages") or []):
        if isinstance(message, dict):
            found += _message_violations(i, message)
    tools = body.get("tools")
    offered = []
    for i, tool in enumerate(tools if isinstance(tools, list) else []):
        function = tool.get("function") if isinstance(tool, dict) else None
        if not isinstance(function, dict):
            continue
        offered.append(function.get("name"))
        if tool.get("type") != "function":
            found.append(Violation(TOOL_DEFINITION, f"tools[{i}].type", _not_function(tool)))
        if "parameters" not in function:
            found.append(Violation(TOOL_DEFINITION, f"tools[{i}].function.parameters", "missing"))
    choice = body.get("tool_choice")
    if choice is not None and choice != "none":
        if tools is None:
            found.append(Violation(TOOL_CHOICE, "tool_choice", f"{json.dumps(choice)} with no `tools`"))
        elif isinstance(choice, dict):
            wanted = (
                (choice.get("function") or {}).get("name")
                if isinstance(choice.get("function"), dict)
                else None
            )
            if wanted not in offered:
                found.append(
                    Violation(
                        TOOL_CHOICE,
                        "tool_choice.function.name",
                        f"{json.dumps(wanted)}, which is not among the offered tools",
                    )
                )
    if body.get("stream_options") is not None and not body.get("stream"):
        found.append(Violation(STREAM_OPTIONS, "stream_options", "set on a request that does not stream"))
    return found


def check_strict(body: dict[str, Any]) -> None:
    """Raise BadRequest (400) naming the first strict-mode rule `body` breaks, and how many more it breaks."""
    found = strict_violations(body)
    if not found:
        return
    first = found[0]
    more = f" ({len(found) - 1} more strict-mode problem(s) after this one.)" if len(found) > 1 else ""
    raise BadRequest(first.message() + more, param=first.path, code=f"strict_{first.rule.code}")
