"""Chat Completions wire shapes the stand-in sends: replies, stream chunks, errors, usage."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

STANDIN_MODEL = "standin-tool-planner"


@dataclass
class ToolCall:
    """One function call the stand-in asks the client to run."""

    id: str
    name: str
    arguments: str  # JSON text, exactly as a model would send it


@dataclass
class Reply:
    """What the stand-in decided to answer, and why (`source`)."""

    content: str | None
    tool_calls: list[ToolCall] = field(default_factory=list)
    source: str = "standin-planner"
    finish_reason: str | None = None  # None: derive it from tool_calls
    recorded: dict[str, Any] | None = None  # a cassette's full response body, replayed as is


def estimate_tokens(payload: Any) -> int:
    """A rough, deterministic token count (4 characters a token), so usage is never zero."""
    text = payload if isinstance(payload, str) else json.dumps(payload, ensure_ascii=False)
    return max(1, len(text) // 4)


def completion_body(reply: Reply, model: str, request: dict[str, Any], number: int) -> dict[str, Any]:
    """The non-streamed `chat.completion` body for `reply`."""
    if reply.recorded is not None:
        body = json.loads(json.dumps(reply.recorded))
        body["model"] = model
        body["system_fingerprint"] = reply.source
        return body
    message: dict[str, Any] = {"role": "assistant", "content": reply.content}
    if reply.tool_calls:
        message["tool_calls"] = [
            {"id": c.id, "type": "function", "function": {"name": c.name, "arguments": c.arguments}}
            for c in reply.tool_calls
        ]
    prompt = estimate_tokens(request.get("messages", [])) + estimate_tokens(request.get("tools") or "")
    completion = estimate_tokens(message)
    return {
        "id": f"chatcmpl-standin-{number}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "system_fingerprint": reply.source,
        "choices": [
            {
                "index": 0,
                "message": message,
                "logprobs": None,
                "finish_reason": reply.finish_reason or ("tool_calls" if reply.tool_calls else "stop"),
            }
        ],
        "usage": {
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "total_tokens": prompt + completion,
        },
    }


def _pieces(text: str, size: int = 24) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)] or [""]


def stream_events(body: dict[str, Any], include_usage: bool) -> Iterator[str]:
    """Server-sent event data lines that stream `body` as `chat.completion.chunk`s, ending in [DONE]."""
    choice = body["choices"][0]
    message = choice["message"]
    base = {
        "id": body["id"],
        "object": "chat.completion.chunk",
        "created": body["created"],
        "model": body["model"],
        "system_fingerprint": body.get("system_fingerprint"),
    }

    def chunk(delta: dict[str, Any], finish: str | None = None) -> str:
        data = dict(base, choices=[{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}])
        return json.dumps(data)

    yield chunk({"role": "assistant", "content": ""})
    if message.get("content"):
        for piece in _pieces(message["content"]):
            yield chunk({"content": piece})
    for index, call in enumerate(message.get("tool_calls") or []):
        # The first delta of a call carries id, type and name; later deltas only argument text.
        head = {
            "index": index,
            "id": call["id"],
            "type": "function",
            "function": {"name": call["function"]["name"], "arguments": ""},
        }
        yield chunk({"tool_calls": [head]})
        for piece in _pieces(call["function"]["arguments"]):
            yield chunk({"tool_calls": [{"index": index, "function": {"arguments": piece}}]})
    yield chunk({}, choice["finish_reason"])
    if include_usage:
        yield json.dumps(dict(base, choices=[], usage=body.get("usage")))
    yield "[DONE]"


def error_body(
    message: str, type_: str = "invalid_request_error", param: str | None = None, code: str | None = None
) -> dict[str, Any]:
    """An OpenAI-style error body."""
    return {"error": {"message": message, "type": type_, "param": param, "code": code}}
