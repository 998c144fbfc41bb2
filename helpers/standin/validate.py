"""Checks on an incoming chat request, with the same messages OpenAI gives for the same mistakes."""

from __future__ import annotations

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
            raise BadRequest(f"messages[{i}] must be an object whose 'role' is one of {sorted(ROLES)}.",
                             param=f"messages[{i}].role")
        role = message["role"]
        if role == "tool":
            call_id = message.get("tool_call_id")
            if not call_id:
                raise BadRequest(f"messages[{i}]: a 'tool' message needs 'tool_call_id'.",
                                 param=f"messages[{i}].tool_call_id")
            if call_id not in open_calls:
                raise BadRequest(f"messages[{i}]: 'tool' messages must answer a 'tool_calls' entry of the "
                                 f"preceding assistant message; no call has id {call_id!r}.",
                                 param=f"messages[{i}]")
            open_calls.discard(call_id)
            continue
        if open_calls:
            raise BadRequest("An assistant message with 'tool_calls' must be followed by tool messages "
                             f"responding to each 'tool_call_id'. Missing: {sorted(open_calls)}.",
                             param=f"messages[{i}]")
        if role == "assistant":
            for j, call in enumerate(message.get("tool_calls") or []):
                if not isinstance(call, dict) or not call.get("id") or not isinstance(call.get("function"), dict):
                    raise BadRequest(f"messages[{i}].tool_calls[{j}] needs 'id', 'type' and 'function'.",
                                     param=f"messages[{i}].tool_calls[{j}]")
                open_calls.add(call["id"])
    if open_calls:
        raise BadRequest("An assistant message with 'tool_calls' must be followed by tool messages "
                         f"responding to each 'tool_call_id'. Missing: {sorted(open_calls)}.", param="messages")
    tools = body.get("tools")
    if tools is not None:
        if not isinstance(tools, list):
            raise BadRequest("'tools' must be an array.", param="tools")
        for i, tool in enumerate(tools):
            function = tool.get("function") if isinstance(tool, dict) else None
            if not isinstance(function, dict) or not isinstance(function.get("name"), str):
                raise BadRequest(f"tools[{i}] must look like {{'type': 'function', 'function': {{'name': ...}}}}.",
                                 param=f"tools[{i}]")
            parameters = function.get("parameters")
            if parameters is not None and not isinstance(parameters, dict):
                raise BadRequest(f"tools[{i}].function.parameters must be a JSON schema object.",
                                 param=f"tools[{i}].function.parameters")
