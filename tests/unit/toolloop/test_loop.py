"""The tool loop (helpers/toolloop/loop.py) against the real stand-in endpoint, with scripted model replies.

The stand-in is a real OpenAI-compatible HTTP server; the model's replies come from cassettes
built here. `Cassette` replays an exchange only while the whole conversation matches it, which is
what the happy path uses. The error paths use `Script`, a cassette that answers the n-th model
turn with the n-th recorded reply whatever the tool results were, so a test can look at exactly
what the loop sent back (`standin.requests_log`) without predicting every error text.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from typing import Any

import openai
import pytest

from helpers.standin import StandIn
from helpers.standin.cassette import Cassette
from helpers.toolloop.loop import Tool, Toolbox, ToolOutput, local_tool, run_tool_loop

MODEL = "standin-tool-planner"
SYSTEM = {"role": "system", "content": "You are an SRE assistant. Use the tools."}
USER = {"role": "user", "content": "What is the weather in Oslo?"}


# --- scripted replies -------------------------------------------------------------------------


def call(name: str, arguments: Any, call_id: str | None = "call_1") -> dict[str, Any]:
    """One tool call as a model sends it; `arguments` that are not a str are JSON-encoded."""
    text = arguments if isinstance(arguments, str) else json.dumps(arguments)
    return {"id": call_id, "type": "function", "function": {"name": name, "arguments": text}}


def completion(
    content: str | None = None, calls: list[dict[str, Any]] | None = None, finish_reason: str | None = None
) -> dict[str, Any]:
    """A full chat.completion body, as a server would send it."""
    message: dict[str, Any] = {"role": "assistant", "content": content}
    if calls is not None:
        message["tool_calls"] = calls
    return {
        "id": "chatcmpl-test",
        "object": "chat.completion",
        "created": 1760000000,
        "model": "recorded-model",
        "choices": [
            {
                "index": 0,
                "message": message,
                "logprobs": None,
                "finish_reason": finish_reason or ("tool_calls" if calls else "stop"),
            }
        ],
        "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15},
    }


class Script(Cassette):
    """A cassette whose n-th reply answers the n-th model turn (the last one repeats if `repeat`)."""

    def __init__(self, name: str, responses: list[dict[str, Any]], repeat: bool = False) -> None:
        super().__init__(name, [{"request": {"messages": []}, "response": r} for r in responses])
        self.repeat = repeat

    def match(self, request: dict[str, Any]):
        turn = sum(1 for m in request.get("messages") or [] if m.get("role") == "assistant")
        if turn >= len(self.exchanges) and not self.repeat:
            return None
        response = self.exchanges[min(turn, len(self.exchanges) - 1)]["response"]
        # the real matching and replay code, on an exchange recorded for exactly this request
        return Cassette(
            self.name, [{"request": {"messages": request["messages"]}, "response": response}]
        ).match(request)


def client_for(standin: StandIn) -> openai.AsyncOpenAI:
    return openai.AsyncOpenAI(base_url=standin.base_url, api_key=standin.api_key, max_retries=0, timeout=20)


async def run(standin: StandIn, cassette: Cassette, toolbox: Toolbox, **options: Any):
    standin.cassettes[:] = [cassette]
    client = client_for(standin)
    try:
        return await asyncio.wait_for(
            run_tool_loop(client, [SYSTEM, USER], toolbox, model=MODEL, **options), 30
        )
    finally:
        await client.close()


def sent_messages(standin: StandIn, request: int = -1) -> list[dict[str, Any]]:
    return standin.requests_log[request]["messages"]


def tool_messages(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [m for m in messages if m["role"] == "tool"]


# --- tools ------------------------------------------------------------------------------------

WEATHER_CALLS: list[dict[str, Any]] = []


def get_weather(city: str, unit: str = "celsius") -> dict:
    """Current weather of a city."""
    WEATHER_CALLS.append({"city": city, "unit": unit})
    return {"city": city, "temperature": 4, "unit": unit}


def weather_toolbox() -> Toolbox:
    WEATHER_CALLS.clear()
    return Toolbox([local_tool(get_weather)])


ANSWER = completion("It is 4 °C in Oslo.")


# --- the happy path ---------------------------------------------------------------------------


@pytest.mark.anyio
async def test_happy_path_with_an_exact_cassette(standin: StandIn) -> None:
    """Tool call -> result -> answer, replayed by an ordinary cassette that matches the whole conversation."""
    first_call = call("get_weather", {"city": "Oslo"}, "call_abc")
    result = {"city": "Oslo", "temperature": 4, "unit": "celsius"}
    cassette = Cassette(
        "happy",
        [
            {
                "request": {"messages": [SYSTEM, USER], "tools": ["get_weather"]},
                "response": completion(None, [first_call]),
            },
            {
                "request": {
                    "messages": [
                        SYSTEM,
                        USER,
                        {"role": "assistant", "content": "", "tool_calls": [first_call]},
                        {"role": "tool", "tool_call_id": "call_abc", "content": json.dumps(result)},
                    ],
                    "tools": ["get_weather"],
                },
                "response": ANSWER,
            },
        ],
    )
    toolbox = weather_toolbox()
    transcript = await run(standin, cassette, toolbox)

    assert transcript.stop_reason == "answered" and transcript.error is None and transcript.warning is None
    assert transcript.final_answer == "It is 4 °C in Oslo."
    assert transcript.tool_calls == ["get_weather"]
    assert WEATHER_CALLS == [{"city": "Oslo", "unit": "celsius"}]
    assert standin.snapshot()["counts"]["chat_requests"] == 2
    assert standin.snapshot()["counts"]["replies_from_cassette"] == 2  # both replies were the scripted ones
    first_request = standin.requests_log[0]
    assert first_request["model"] == MODEL and first_request["tool_choice"] == "auto"
    assert [t["function"]["name"] for t in first_request["tools"]] == ["get_weather"]
    tool_message = tool_messages(sent_messages(standin))[0]
    assert tool_message["tool_call_id"] == "call_abc" and "name" not in tool_message  # as strict servers want
    assert json.loads(tool_message["content"]) == result
    run_ = transcript.tool_runs[0]
    assert (run_.call_id, run_.is_error, run_.problem) == ("call_abc", False, None)
    # the caller's list is not changed; the transcript keeps the whole conversation
    assert len(transcript.messages) == 4 and transcript.messages[-1]["role"] == "tool"


@pytest.mark.anyio
async def test_finish_reason_tool_calls_without_calls_stops(standin: StandIn) -> None:
    """As in seed 002: the last reply says finish_reason "tool_calls" but has none; that is the answer."""
    script = Script(
        "seed-002-like",
        [
            completion("", [call("get_weather", {"city": "Oslo"})]),
            completion("The root cause: it is cold.", [], finish_reason="tool_calls"),
        ],
    )
    transcript = await run(standin, script, weather_toolbox())
    assert transcript.stop_reason == "answered"
    assert transcript.final_answer == "The root cause: it is cold."
    assert transcript.turns[-1].finish_reason == "tool_calls"
    assert standin.snapshot()["counts"]["chat_requests"] == 2


@pytest.mark.anyio
async def test_the_real_seed_cassette_stops_on_absent_tool_calls(standin: StandIn) -> None:
    """The recorded seed-002 conversation, replayed by the stand-in with tools answering its own results."""
    seed = next(c for c in StandIn().cassettes if c.name == "seed-002-qwen3-4b")
    script = Script("seed-002", [e["response"] for e in seed.exchanges])
    names = [
        t["function"]["name"] for t in seed.exchanges[0]["response"]["choices"][0]["message"]["tool_calls"]
    ]
    names = list(dict.fromkeys(names + ["get_kubernetes_pod_memory_data", "get_kubernetes_pod_cpu_data"]))

    def make(name: str) -> Tool:
        async def run_(arguments: dict[str, Any]) -> ToolOutput:
            return ToolOutput(f"{name} ok")

        return Tool(name, name, {"type": "object", "properties": {}}, run_)

    transcript = await run(standin, script, Toolbox([make(n) for n in names]))
    assert transcript.stop_reason == "answered" and transcript.final_answer
    assert transcript.turns[-1].finish_reason == "tool_calls" and not transcript.turns[-1].tool_runs
    assert len(transcript.turns) == len(seed.exchanges)


# --- broken arguments -------------------------------------------------------------------------


BAD_ARGUMENTS = {
    "not-json": ("city: Oslo", "are not valid JSON"),
    "truncated": ('{"city": "Os', "are not valid JSON"),
    "a-list": ('["Oslo"]', "must be a JSON object, not list"),
    "a-string": ('"Oslo"', "must be a JSON object, not str"),
    "missing-required": ('{"unit": "celsius"}', "'city' is a required property"),
    "wrong-type": ('{"city": 42}', "city: 42 is not of type 'string'"),
}


@pytest.mark.parametrize("case", list(BAD_ARGUMENTS))
@pytest.mark.anyio
async def test_bad_arguments_become_readable_tool_messages(standin: StandIn, case: str) -> None:
    arguments, expected = BAD_ARGUMENTS[case]
    script = Script(case, [completion(None, [call("get_weather", arguments, "call_bad")]), ANSWER])
    toolbox = weather_toolbox()
    transcript = await run(standin, script, toolbox)

    assert (
        transcript.stop_reason == "answered"
        and transcript.final_answer == ANSWER["choices"][0]["message"]["content"]
    )
    assert WEATHER_CALLS == []  # the tool never ran on bad arguments
    messages = sent_messages(standin)
    assistant = [m for m in messages if m["role"] == "assistant"][-1]
    # echoed as a JSON object string (strict servers refuse anything else); the transcript keeps the original
    sent = assistant["tool_calls"][0]["function"]["arguments"]
    assert sent == (arguments if arguments.strip().startswith("{") and case != "truncated" else "{}"), sent
    (reply,) = tool_messages(messages)
    assert reply["tool_call_id"] == "call_bad" and "name" not in reply
    assert reply["content"].startswith("Error:"), reply["content"]
    assert expected in reply["content"]
    assert '"city"' in reply["content"]  # the schema is included, so the model can correct itself
    run_ = transcript.tool_runs[0]
    assert run_.is_error and run_.problem in {"bad_json", "bad_arguments"} and run_.arguments == arguments
    assert standin.snapshot()["counts"]["chat_requests"] == 2


@pytest.mark.anyio
async def test_empty_arguments_mean_no_arguments(standin: StandIn) -> None:
    def now() -> str:
        """The time."""
        return "12:00"

    script = Script("empty-args", [completion(None, [call("now", "")]), completion("Noon.")])
    transcript = await run(standin, script, Toolbox([local_tool(now)]))
    assert transcript.final_answer == "Noon."
    assert tool_messages(sent_messages(standin))[0]["content"] == "12:00"


@pytest.mark.anyio
async def test_unknown_tool_lists_the_available_ones(standin: StandIn) -> None:
    def get_time(city: str) -> str:
        """The time in a city."""
        return "12:00"

    script = Script("unknown", [completion(None, [call("get_wether", {"city": "Oslo"})]), ANSWER])
    transcript = await run(standin, script, Toolbox([local_tool(get_weather), local_tool(get_time)]))
    (reply,) = tool_messages(sent_messages(standin))
    assert reply["content"].startswith("Error:")
    assert "'get_wether'" in reply["content"] and "get_weather, get_time" in reply["content"]
    assert transcript.tool_runs[0].problem == "unknown_tool" and transcript.stop_reason == "answered"


@pytest.mark.anyio
async def test_a_tool_that_raises(standin: StandIn) -> None:
    def query_db(sql: str) -> str:
        """Run SQL."""
        raise PermissionError("attempt to write a readonly database")

    script = Script(
        "raises", [completion(None, [call("query_db", {"sql": "delete from t"})]), completion("Refused.")]
    )
    transcript = await run(standin, script, Toolbox([local_tool(query_db)]))
    (reply,) = tool_messages(sent_messages(standin))
    assert reply["content"] == "Error: query_db failed: PermissionError: attempt to write a readonly database"
    assert transcript.tool_runs[0].problem == "exception" and transcript.final_answer == "Refused."


@pytest.mark.anyio
async def test_a_tool_error_result_is_passed_on(standin: StandIn) -> None:
    async def flaky(arguments: dict[str, Any]) -> ToolOutput:
        return ToolOutput("pod not found: billing-x", is_error=True)

    tool = Tool("get_pod", "A pod.", {"type": "object", "properties": {}}, flaky)
    script = Script("tool-error", [completion(None, [call("get_pod", {})]), completion("No such pod.")])
    transcript = await run(standin, script, Toolbox([tool]))
    assert tool_messages(sent_messages(standin))[0]["content"] == "pod not found: billing-x"
    assert transcript.tool_runs[0].problem == "tool_error" and transcript.tool_runs[0].is_error


# --- time ---------------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_slow_tools_are_cancelled_and_the_loop_goes_on(standin: StandIn) -> None:
    cancelled = asyncio.Event()
    release = threading.Event()

    async def slow_async(seconds: float) -> str:
        """Sleeps."""
        try:
            await asyncio.sleep(seconds)
        except asyncio.CancelledError:
            cancelled.set()
            raise
        return "done"

    def slow_sync(seconds: float) -> str:
        """Blocks a thread."""
        release.wait(seconds)
        return "done"

    def fast() -> str:
        """Quick."""
        return "quick"

    script = Script(
        "slow",
        [
            completion(
                None,
                [
                    call("slow_async", {"seconds": 30}, "c1"),
                    call("slow_sync", {"seconds": 30}, "c2"),
                    call("fast", {}, "c3"),
                ],
            ),
            completion("Gave up on the slow ones."),
        ],
    )
    toolbox = Toolbox([local_tool(slow_async), local_tool(slow_sync), local_tool(fast)])
    started = time.monotonic()
    try:
        transcript = await run(standin, script, toolbox, tool_timeout=0.3)
    finally:
        release.set()  # let the worker thread of the sync tool end
    elapsed = time.monotonic() - started

    assert elapsed < 3, elapsed
    assert cancelled.is_set()
    replies = {m["tool_call_id"]: m["content"] for m in tool_messages(sent_messages(standin))}
    for call_id, name in (("c1", "slow_async"), ("c2", "slow_sync")):
        assert replies[call_id] == (
            f"Error: {name} did not finish within 0.3 s and was cancelled. "
            "Try again later or with narrower arguments."
        )
    assert replies["c3"] == "quick"
    assert [r.problem for r in transcript.tool_runs] == ["timeout", "timeout", None]
    assert transcript.stop_reason == "answered" and transcript.final_answer == "Gave up on the slow ones."


@pytest.mark.anyio
async def test_the_calls_of_one_turn_run_concurrently(standin: StandIn) -> None:
    """Every call of the turn starts before any of them ends: overlap, measured, not a wall-clock bound."""
    spans: dict[int, list[float]] = {}

    def make(index: int) -> Tool:
        async def nap(arguments: dict[str, Any]) -> ToolOutput:
            spans[index] = [time.monotonic()]
            await asyncio.sleep(0.2)
            spans[index].append(time.monotonic())
            return ToolOutput(f"slept {index}")

        return Tool(f"nap_{index}", "Sleeps 0.2 s.", {"type": "object", "properties": {}}, nap)

    toolbox = Toolbox([make(i) for i in range(5)])
    script = Script(
        "parallel",
        [completion(None, [call(f"nap_{i}", {}, f"c{i}") for i in range(5)]), completion("Rested.")],
    )
    transcript = await run(standin, script, toolbox)
    assert sorted(spans) == list(range(5))
    last_start = max(start for start, _ in spans.values())
    first_end = min(end for _, end in spans.values())
    # Run one after another, the last call would start after the first one ended, however fast the machine.
    assert last_start < first_end, f"the calls did not overlap: {spans}"
    assert transcript.tool_calls == [f"nap_{i}" for i in range(5)]
    assert [m["content"] for m in tool_messages(sent_messages(standin))] == [f"slept {i}" for i in range(5)]
    assert all(r.seconds >= 0.2 for r in transcript.tool_runs)  # each run's own timing covers its sleep


# --- how the loop ends ------------------------------------------------------------------------


@pytest.mark.anyio
async def test_turn_limit(standin: StandIn) -> None:
    script = Script("forever", [completion(None, [call("get_weather", {"city": "Oslo"})])], repeat=True)
    toolbox = weather_toolbox()
    transcript = await run(standin, script, toolbox, max_turns=4)
    assert transcript.stop_reason == "turn_limit"
    assert "4 model turns" in transcript.error and "turn limit" in transcript.explanation
    assert transcript.final_answer is None
    assert standin.snapshot()["counts"]["chat_requests"] == 4 == len(standin.requests_log)
    assert len(transcript.turns) == 4 and len(WEATHER_CALLS) == 4
    assert "STOPPED: the turn limit was reached" in str(transcript)


@pytest.mark.parametrize("content", ["", None, "   "], ids=["empty", "null", "blank"])
@pytest.mark.anyio
async def test_empty_reply(standin: StandIn, content: str | None) -> None:
    script = Script("empty", [completion(content, None)])
    transcript = await run(standin, script, weather_toolbox())
    assert transcript.stop_reason == "empty_reply"
    assert "neither text nor tool calls" in transcript.explanation
    assert standin.snapshot()["counts"]["chat_requests"] == 1


@pytest.mark.anyio
async def test_tool_calls_with_finish_reason_stop_are_run(standin: StandIn) -> None:
    script = Script(
        "stop-with-calls", [completion(None, [call("get_weather", {"city": "Oslo"})], "stop"), ANSWER]
    )
    transcript = await run(standin, script, weather_toolbox())
    assert transcript.tool_calls == ["get_weather"] and transcript.stop_reason == "answered"
    assert standin.snapshot()["counts"]["chat_requests"] == 2


@pytest.mark.anyio
async def test_empty_tool_calls_list_is_an_answer(standin: StandIn) -> None:
    script = Script("empty-calls", [completion("Fine.", [], finish_reason="tool_calls")])
    transcript = await run(standin, script, weather_toolbox())
    assert (transcript.stop_reason, transcript.final_answer) == ("answered", "Fine.")


@pytest.mark.anyio
async def test_api_error_is_reported_not_raised(standin: StandIn) -> None:
    standin.inject("status", status=500)
    transcript = await run(standin, Script("unused", [ANSWER]), weather_toolbox())
    assert transcript.stop_reason == "api_error"
    assert transcript.error.startswith("InternalServerError:") and "HTTP 500" in transcript.error
    assert "endpoint returned an error" in transcript.explanation
    assert transcript.final_answer is None and transcript.turns == []
    assert standin.snapshot()["counts"]["errors_500"] == 1


@pytest.mark.anyio
async def test_api_error_in_a_later_turn(standin: StandIn) -> None:
    script = Script("later-500", [completion(None, [call("get_weather", {"city": "Oslo"})]), ANSWER])
    standin.cassettes[:] = [script]
    client = client_for(standin)

    def on_turn(turn) -> None:
        standin.inject("status", status=503)  # the next request fails

    try:
        transcript = await run_tool_loop(
            client, [SYSTEM, USER], weather_toolbox(), model=MODEL, on_turn=on_turn
        )
    finally:
        await client.close()
    assert transcript.stop_reason == "api_error" and "503" in transcript.error
    assert transcript.tool_calls == ["get_weather"]


@pytest.mark.anyio
async def test_unreachable_endpoint_is_an_api_error(standin: StandIn) -> None:
    client = client_for(standin)
    standin.stop()
    try:
        transcript = await asyncio.wait_for(run_tool_loop(client, [USER], weather_toolbox(), model=MODEL), 20)
    finally:
        await client.close()
    assert transcript.stop_reason == "api_error" and transcript.error.startswith("APIConnectionError")


@pytest.mark.anyio
async def test_a_tool_call_written_as_text_warns(standin: StandIn) -> None:
    text = '```json\n{"name": "get_weather", "arguments": {"city": "Oslo"}}\n```'
    transcript = await run(standin, Script("text-call", [completion(text)]), weather_toolbox())
    assert transcript.stop_reason == "answered" and transcript.final_answer == text
    assert "--tool-call-parser" in transcript.warning
    assert "WARNING:" in str(transcript) and "--tool-call-parser" in transcript._repr_html_()


@pytest.mark.anyio
async def test_a_plain_answer_does_not_warn(standin: StandIn) -> None:
    transcript = await run(
        standin, Script("plain", [completion('It is {"cold": true} today.')]), weather_toolbox()
    )
    assert transcript.warning is None


@pytest.mark.anyio
async def test_missing_and_duplicate_call_ids_are_made_unique(standin: StandIn) -> None:
    calls = [
        call("get_weather", {"city": c}, i)
        for c, i in [
            ("Oslo", "dup"),
            ("Bergen", "dup_2"),
            ("Tromsø", "dup"),
            ("Bodø", None),
            ("Molde", ""),
            ("Alta", "dup"),
        ]
    ]
    script = Script("ids", [completion(None, calls), ANSWER])
    transcript = await run(standin, script, weather_toolbox())
    assert transcript.stop_reason == "answered"  # the stand-in accepted the ids the loop sent back
    messages = sent_messages(standin)
    sent_ids = [c["id"] for c in [m for m in messages if m["role"] == "assistant"][-1]["tool_calls"]]
    answered = [m["tool_call_id"] for m in tool_messages(messages)]
    assert len(set(sent_ids)) == 6 and all(sent_ids) and answered == sent_ids
    assert sent_ids[:2] == ["dup", "dup_2"]  # ids that were fine are kept
    assert [json.loads(m["content"])["city"] for m in tool_messages(messages)] == [
        "Oslo",
        "Bergen",
        "Tromsø",
        "Bodø",
        "Molde",
        "Alta",
    ]
    assert [r.call_id for r in transcript.tool_runs] == sent_ids


@pytest.mark.anyio
async def test_ids_repeated_across_turns(standin: StandIn) -> None:
    """Some servers number calls per reply (call_0 every turn): each turn is answered on its own."""
    script = Script(
        "per-turn-ids",
        [
            completion(None, [call("get_weather", {"city": "Oslo"}, "call_0")]),
            completion(None, [call("get_weather", {"city": "Oslo"}, "call_0")]),
            ANSWER,
        ],
    )
    transcript = await run(standin, script, weather_toolbox())
    assert transcript.stop_reason == "answered" and len(transcript.tool_runs) == 2


# --- rendering --------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_transcript_renders_as_text_and_html(standin: StandIn) -> None:
    script = Script(
        "render",
        [
            completion(
                "Let me look <now>.",
                [call("get_weather", {"city": "Oslo"}, "c1"), call("get_forecast", "{oops", "c2")],
            ),
            ANSWER,
        ],
    )
    transcript = await run(standin, script, weather_toolbox())
    text, page = str(transcript), transcript._repr_html_()
    assert text.startswith("USER: What is the weather in Oslo?")
    assert "TOOL CALL (turn 1): get_weather" in text and "TOOL CALL (turn 1): get_forecast" in text
    assert "[unknown_tool]" in text and "ANSWER: It is 4 °C in Oslo." in text
    assert "STOPPED: the model replied without tool calls" in text and "(2 model turns)" in text
    assert "get_weather" in page and "get_forecast" in page and "Final answer" in page
    assert "&lt;now&gt;" in page and "<now>" not in page  # model text is escaped
    assert page.startswith("<div class='workbook-transcript'>")


# --- MCP tools in the loop --------------------------------------------------------------------


@pytest.mark.anyio
async def test_mcp_tools_in_the_loop_and_a_server_that_dies(
    standin: StandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The knowledge-base server over stdio as the toolbox; then the same after its process is killed."""
    import psutil

    from helpers.mcp_client.connection import McpConnection
    from helpers.servers.knowledge_base import KB_PATH_VARIABLE
    from helpers.toolloop.loop import mcp_tools

    monkeypatch.delenv(KB_PATH_VARIABLE, raising=False)
    before = {p.pid for p in psutil.Process().children(recursive=True)}
    connection = await asyncio.wait_for(McpConnection.stdio("helpers.servers.knowledge_base"), 20)
    try:
        tools = await asyncio.wait_for(mcp_tools(connection), 10)
        assert [(t.name, t.source) for t in tools] == [("get_knowledge_base", "mcp:knowledge-base")]
        assert tools[0].parameters == {"type": "object", "properties": {}}
        script = Script("kb", [completion(None, [call("get_knowledge_base", {})]), completion("20 days.")])
        transcript = await run(standin, script, Toolbox(tools))
        assert transcript.final_answer == "20 days." and transcript.tool_calls == ["get_knowledge_base"]
        assert tool_messages(sent_messages(standin))[0]["content"].startswith(
            "Here is the retrieved knowledge base:"
        )
        assert (await connection.stats())["total"] == 1  # the server really served the call

        for child in psutil.Process().children(recursive=True):
            if child.pid not in before:
                child.kill()
        transcript = await run(standin, script, Toolbox(tools), tool_timeout=10)
        content = tool_messages(sent_messages(standin))[0]["content"]
        assert content.startswith("Error: get_knowledge_base failed: McpConnectionError:"), content
        assert "the server went away" in content
        assert transcript.stop_reason == "answered" and transcript.tool_runs[0].problem == "exception"
    finally:
        await asyncio.wait_for(connection.close(), 10)
