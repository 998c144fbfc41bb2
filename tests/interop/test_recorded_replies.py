"""Real replies recorded from llama-cpp-python's server and SmolLM2-135M, replayed through `run_tool_loop`.

data/real_replies/llama_cpp_smollm2.json holds each reply as the server sent it (status and body,
`function_call` included), with the request that produced it. `ScriptedStandIn` serves it byte for
byte to the workbook's own client stack (openai SDK over the portable transport of `connect()`), so
this runs offline, with no server to build. For each: no crash, the loop ends within its limit,
with the stop reason its `expect` names, and the transcript explains it. The rest of `expect` is
checked by tests/hardening/test_bad_model_output.py, which runs these replies as `real:<name>`
next to the hand-written bad replies (tool loop on both routes, and Autogen).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import openai
import pytest

from helpers.llm.wire import WireLog
from helpers.toolloop import Toolbox, local_tool, run_tool_loop
from helpers.toolloop.transcript import STOP_REASONS
from tests.support.scripted_endpoint import RECORDED_REPLIES as REPLIES
from tests.support.scripted_endpoint import ScriptedStandIn, replayed, running_scripted

MODEL = "smollm2-135m"
MAX_TURNS = 3


def get_weather(city: str) -> dict:
    """Get the current weather for a city."""
    return {"city": city, "temp_c": 18, "sky": "cloudy"}


@pytest.fixture(scope="module")
def endpoint() -> Iterator[ScriptedStandIn]:
    with running_scripted(MODEL) as server:
        yield server


def test_the_recording_is_what_it_says() -> None:
    assert 3 <= len(REPLIES) <= 6
    assert len({r["name"] for r in REPLIES}) == len(REPLIES)
    for reply in REPLIES:
        assert reply["source"] == (
            "llama-cpp-python 0.3.36 server, SmolLM2-135M-Instruct Q4_1, chatml-function-calling"
        )
        assert reply["request"]["model"] == MODEL and reply["request"]["messages"]
        assert reply["expect"]["stop_reason"] in STOP_REASONS
    messages = [
        (r["response"]["body"].get("choices") or [{}])[0].get("message") or {} for r in REPLIES
    ]  # the kinds the issue asks for: tool calls with function_call next to them, and replies without
    assert any(m.get("tool_calls") and m.get("function_call") for m in messages)
    assert any(m and not m.get("tool_calls") and "function_call" not in m for m in messages)
    assert any(r["response"]["status"] >= 500 for r in REPLIES)


@pytest.mark.anyio
@pytest.mark.parametrize("reply", REPLIES, ids=lambda r: r["name"])
async def test_recorded_reply_ends_the_loop_with_an_explained_stop(endpoint, reply) -> None:
    endpoint.load(replayed(reply), repeat=True)
    wire = WireLog()
    client = openai.AsyncOpenAI(
        base_url=endpoint.base_url,
        api_key=endpoint.api_key,
        http_client=wire.async_http_client(),
        max_retries=0,
        timeout=20,
    )
    question = [m for m in reply["request"]["messages"] if m["role"] in ("system", "user")]
    tool_choice = reply["request"].get("tool_choice", "auto")
    transcript = await asyncio.wait_for(
        run_tool_loop(
            client,
            question,
            Toolbox([local_tool(get_weather)]),
            model=MODEL,
            max_turns=MAX_TURNS,
            tool_choice=tool_choice,
        ),
        timeout=30,
    )
    print(f"\n[{reply['name']}]\n{transcript}")
    assert transcript.stop_reason == reply["expect"]["stop_reason"], transcript.explanation
    assert transcript.explanation.startswith(STOP_REASONS[transcript.stop_reason])
    assert len(transcript.turns) <= MAX_TURNS
    if transcript.stop_reason == "turn_limit":  # the same forced call each turn: the loop says it saw a loop
        assert transcript.tool_calls == ["get_weather"] * MAX_TURNS
        assert not any(run.problem for run in transcript.tool_runs)
        assert f"asked for the same call {MAX_TURNS} times" in transcript.explanation
        # the reply's deprecated function_call (sometimes with a wrong name) never reached the SDK
        assert all(any("function_call dropped" in n for n in e.adjusted) for e in wire.chat_exchanges())
    if transcript.stop_reason == "api_error":
        assert "validation errors" in transcript.explanation  # the server's own words reach the reader
    if transcript.stop_reason == "answered":
        assert transcript.final_answer == reply["response"]["body"]["choices"][0]["message"]["content"]
