"""The helpers' tool loop against a real OpenAI-compatible server and a real model (llama-cpp-python, SmolLM2-135M).

`connect("openai-compatible", ...)` + `run_tool_loop`, exactly as notebooks 02 and 05 use them:
- with `tool_choice` naming the tool the model must call (a grammar forces it: deterministic), the
  server accepts every request the workbook makes, a tool call happens, and the loop stops with an
  explained reason;
- with `tool_choice="auto"` the model decides; whatever it does, the loop ends without an exception
  and explains why it stopped.
"""

from __future__ import annotations

from typing import Any

import pytest

from helpers.llm.backends import connect
from helpers.toolloop import Toolbox, local_tool, run_tool_loop
from helpers.toolloop.transcript import STOP_REASONS

pytestmark = pytest.mark.interop

QUESTION = [
    {"role": "system", "content": "You are a helpful assistant. Use the tools when they help."},
    {"role": "user", "content": "What is the weather in Paris right now?"},
]
RAN: list[dict[str, Any]] = []


def get_weather(city: str) -> dict:
    """Current weather of a city."""
    RAN.append({"city": city})
    return {"city": city, "temperature_c": 18, "sky": "cloudy"}


def live_backend(local_model):
    # No SDK retries: a rejected request must show up once on the wire log, not be retried away.
    return connect("openai-compatible", local_model.base_url, local_model.model, max_retries=0, timeout=300)


def wire_summary(backend) -> list[tuple[int | None, Any]]:
    return [(e.status, e.response_body) for e in backend.wire.chat_exchanges()]


@pytest.mark.anyio
async def test_named_tool_choice_runs_the_tool_and_the_server_accepts_every_request(local_model) -> None:
    backend = live_backend(local_model)
    RAN.clear()
    transcript = await run_tool_loop(
        backend,
        QUESTION,
        Toolbox([local_tool(get_weather)]),
        max_turns=2,
        tool_choice={"type": "function", "function": {"name": "get_weather"}},  # type: ignore[arg-type]
        temperature=0,
    )
    print(f"\n{transcript}")
    chat = backend.wire.chat_exchanges()
    # Two requests: the question, then the question + the assistant's tool_calls + the tool result.
    assert len(chat) == len(transcript.turns) == 2, wire_summary(backend)
    assert all(e.status == 200 for e in chat), wire_summary(backend)
    assert [m["role"] for m in chat[1].request_body["messages"]] == ["system", "user", "assistant", "tool"]
    assert chat[1].request_body["messages"][2]["content"] == ""  # never null: this server answers 500 to it
    # The forced call is real: get_weather ran with the model's (grammar-shaped) arguments.
    first = transcript.tool_runs[0]
    assert first.name == "get_weather" and first.problem is None, first
    assert RAN and isinstance(RAN[0]["city"], str) and RAN[0]["city"]
    # A forced tool_choice forces a call on every turn: the loop stops at its limit and says so.
    assert transcript.stop_reason == "turn_limit" and transcript.stop_reason in STOP_REASONS
    assert "no answer after 2 model turns" in transcript.explanation
    # This server sends the deprecated function_call next to tool_calls; the portable transport drops it.
    assert all(any("function_call dropped" in note for note in e.adjusted) for e in chat), [
        e.adjusted for e in chat
    ]


@pytest.mark.anyio
async def test_auto_tool_choice_ends_with_an_explained_stop_whatever_the_model_does(local_model) -> None:
    backend = live_backend(local_model)
    transcript = await run_tool_loop(
        backend, QUESTION, Toolbox([local_tool(get_weather)]), max_turns=3, tool_choice="auto", temperature=0
    )
    print(f"\n{transcript}")
    assert transcript.stop_reason in STOP_REASONS
    assert transcript.explanation.startswith(STOP_REASONS[transcript.stop_reason])
    assert 1 <= len(transcript.turns) <= 3
    # Whatever the model chose, nothing the workbook sent was refused by the server.
    assert all(e.status == 200 for e in backend.wire.chat_exchanges()), wire_summary(backend)
    if transcript.stop_reason == "api_error":
        assert transcript.error, "an endpoint error must carry the endpoint's message"
