"""PortableTransport against a local server that is as strict as llama-cpp-python 0.3.36's.

The server answers HTTP 500 to an assistant message whose `content` is null or missing, and its tool-call replies
carry both `tool_calls` and the deprecated `function_call` (as recorded in /tmp/llama/replies/auto--tool_defs.json).
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time

import httpx
import openai
import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from helpers.llm.wire import (
    STREAMED,
    PortableTransport,
    WireLog,
    portable_request_body,
    portable_response_body,
)

MODEL = "smollm2-135m"
KEY = "sk-" + "p0rtable" * 4
TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Get the current weather for a city.",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    },
}
ARGS = '{"city": "Paris"}'
ANSWER = "It is 18 C and cloudy in Paris."
SSE = (
    b'data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"smollm2-135m","choices":[{"index":0,'
    b'"delta":{"role":"assistant","content":null,"function_call":{"name":"get_weather","arguments":""},'
    b'"tool_calls":[{"index":0,"id":"call_1","type":"function","function":{"name":"get_weather",'
    b'"arguments":""}}]},"finish_reason":null}]}\n\n'
    b'data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"smollm2-135m","choices":[{"index":0,'
    b'"delta":{},"finish_reason":"tool_calls"}]}\n\ndata: [DONE]\n\n'
)


def _completion(message: dict) -> dict:
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 1795289814,
        "model": MODEL,
        "choices": [
            {
                "index": 0,
                "message": message,
                "logprobs": None,
                "finish_reason": "tool_calls" if message.get("tool_calls") else "stop",
            }
        ],
        "usage": {"prompt_tokens": 36, "completion_tokens": 15, "total_tokens": 51},
    }


async def _chat(request: Request) -> Response:
    raw = await request.body()
    request.app.state.received.append(raw)
    try:
        body = json.loads(raw)
    except ValueError:
        return Response(b"cannot parse \xff body", status_code=400, media_type="text/plain")
    for index, message in enumerate(body.get("messages", [])):
        if message.get("role") == "assistant" and not isinstance(message.get("content"), str):
            return JSONResponse(
                {
                    "error": {
                        "message": f"messages.{index}.content: Input should be a valid string",
                        "type": "internal_server_error",
                    }
                },
                status_code=500,
            )
    if body.get("stream"):
        return Response(SSE, media_type="text/event-stream")
    if body["messages"][-1]["role"] == "tool":
        return JSONResponse(_completion({"content": ANSWER, "role": "assistant"}))
    call = {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": ARGS}}
    return JSONResponse(
        _completion(
            {
                "content": None,
                "tool_calls": [call],
                "role": "assistant",
                "function_call": {"name": "get_weather", "arguments": ARGS},
            }
        )
    )


@pytest.fixture(scope="module")
def llama():
    """A llama.cpp-like server on 127.0.0.1; yields (base_url, list of raw request bodies it received)."""
    app = Starlette(routes=[Route("/v1/chat/completions", _chat, methods=["POST"])])
    app.state.received = []
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "the local server did not start"
    yield f"http://127.0.0.1:{sock.getsockname()[1]}/v1", app.state.received
    server.should_exit = True
    thread.join(10)


def _followup(first_message, content="null") -> list[dict]:
    assistant = {"role": "assistant", "tool_calls": [c.model_dump() for c in first_message.tool_calls]}
    if content == "null":
        assistant["content"] = None
    return [
        {"role": "user", "content": "Weather in Paris?"},
        assistant,
        {"role": "tool", "tool_call_id": first_message.tool_calls[0].id, "content": '{"temp_c": 18}'},
    ]


# -- (a) the openai SDK: plain client fails, the shim's client succeeds ------------------------------------------


def test_plain_async_client_gets_500_and_the_portable_one_succeeds(llama):
    base_url, received = llama

    async def run():
        plain = openai.AsyncOpenAI(
            base_url=base_url, api_key=KEY, max_retries=0, http_client=openai.DefaultAsyncHttpxClient()
        )
        first = await plain.chat.completions.create(
            model=MODEL, messages=[{"role": "user", "content": "Weather in Paris?"}], tools=[TOOL]
        )
        assert (
            first.choices[0].message.function_call is not None
        )  # the server really sends the deprecated field
        with pytest.raises(openai.InternalServerError):
            await plain.chat.completions.create(
                model=MODEL, messages=_followup(first.choices[0].message), tools=[TOOL]
            )

        wire = WireLog()
        shim = openai.AsyncOpenAI(
            base_url=base_url, api_key=KEY, max_retries=0, http_client=wire.async_http_client()
        )
        first = await shim.chat.completions.create(
            model=MODEL, messages=[{"role": "user", "content": "Weather in Paris?"}], tools=[TOOL]
        )
        assert first.choices[0].message.function_call is None and first.choices[0].message.tool_calls
        for content in ("null", "missing"):
            done = await shim.chat.completions.create(
                model=MODEL, messages=_followup(first.choices[0].message, content), tools=[TOOL]
            )
            assert done.choices[0].message.content == ANSWER
            assert json.loads(received[-1])["messages"][1]["content"] == ""
        return wire

    wire = asyncio.run(run())
    # (c) the log shows what went over the wire, and what the shim changed
    first, null, missing = wire.chat_exchanges()
    assert first.adjusted == ["choices[0].message.function_call dropped"]
    assert "function_call" not in first.response_body["choices"][0]["message"]
    assert first.response_body["choices"][0]["message"]["tool_calls"][0]["function"]["arguments"] == ARGS
    assert null.adjusted == ['messages[1].content: null -> ""'] and null.status == 200
    assert missing.adjusted == ['messages[1].content: missing -> ""']
    assert null.request_body["messages"][1]["content"] == "" == missing.request_body["messages"][1]["content"]
    assert null.response_body["choices"][0]["message"]["content"] == ANSWER and null.seconds is not None
    assert null.request_headers["authorization"] == "<redacted>" and KEY not in json.dumps(
        null.request_headers
    )


def test_sync_portable_client_round_trip(llama):
    base_url, received = llama
    wire = WireLog()
    client = openai.OpenAI(base_url=base_url, api_key=KEY, max_retries=0, http_client=wire.http_client())
    first = client.chat.completions.create(
        model=MODEL, messages=[{"role": "user", "content": "Paris?"}], tools=[TOOL]
    )
    assert first.choices[0].message.function_call is None
    done = client.chat.completions.create(
        model=MODEL, messages=_followup(first.choices[0].message), tools=[TOOL]
    )
    assert done.choices[0].message.content == ANSWER
    assert [e.adjusted for e in wire.chat_exchanges()] == [
        ["choices[0].message.function_call dropped"],
        ['messages[1].content: null -> ""'],
    ]
    assert json.loads(received[-1])["messages"][1]["content"] == ""


# -- (b) Autogen ----------------------------------------------------------------------------------------------


def _autogen_client(base_url, http_client):
    from autogen_ext.models.openai import OpenAIChatCompletionClient

    return OpenAIChatCompletionClient(
        model=MODEL,
        base_url=base_url,
        api_key=KEY,
        max_retries=0,
        http_client=http_client,
        model_info={
            "vision": False,
            "function_calling": True,
            "json_output": False,
            "family": "unknown",
            "structured_output": False,
        },
    )


def _autogen_run(base_url, http_client):
    from autogen_agentchat.agents import AssistantAgent

    def get_weather(city: str) -> str:
        """Get the current weather for a city."""
        return json.dumps({"city": city, "temp_c": 18, "sky": "cloudy"})

    async def run():
        client = _autogen_client(base_url, http_client)
        agent = AssistantAgent("weather", model_client=client, tools=[get_weather], reflect_on_tool_use=True)
        try:
            return await agent.run(task="What is the weather in Paris?")
        finally:
            await client.close()

    return asyncio.run(run())


def test_autogen_without_the_shim_raises_on_function_call(llama):
    base_url, _ = llama
    with pytest.raises(ValueError, match="function_call is deprecated"):
        _autogen_run(base_url, openai.DefaultAsyncHttpxClient())


def test_autogen_with_the_shim_completes_a_tool_round_trip(llama):
    from autogen_agentchat.messages import ToolCallExecutionEvent

    base_url, received = llama
    wire = WireLog()
    result = _autogen_run(base_url, wire.async_http_client())
    executions = [m for m in result.messages if isinstance(m, ToolCallExecutionEvent)]
    assert len(executions) == 1 and json.loads(executions[0].content[0].content)["temp_c"] == 18
    assert result.messages[-1].content == ANSWER
    first, follow = wire.chat_exchanges()
    assert first.adjusted == ["choices[0].message.function_call dropped"]
    [assistant] = [(i, m) for i, m in enumerate(follow.request_body["messages"]) if m["role"] == "assistant"]
    index, message = assistant
    assert message["content"] == "" and message["tool_calls"][0]["function"]["name"] == "get_weather"
    # Autogen itself sent null (or no) content: the note says which, and the server saw "".
    assert follow.adjusted and follow.adjusted[0] in (
        f'messages[{index}].content: null -> ""',
        f'messages[{index}].content: missing -> ""',
    )
    assert json.loads(received[-1])["messages"][index]["content"] == ""


# -- (d) what the shim leaves alone -------------------------------------------------------------------------------


def test_non_json_and_unchanged_bodies_pass_byte_for_byte(llama):
    base_url, received = llama
    url = base_url + "/chat/completions"
    clean = (
        b'{"model": "m",  "messages": [{"role": "assistant", "content": "hi"}, '
        b'{"role": "tool", "tool_call_id": "c", "content": "\\u00e9"}], "stream": false}'
    )

    async def run(client):
        async with client:
            bad = await client.post(url, content=b"not json {", headers={"content-type": "text/plain"})
            got_bad = received[-1]
            ok = await client.post(url, content=clean, headers={"content-type": "application/json"})
            return bad, got_bad, ok, received[-1]

    wire = WireLog()
    bad, got_bad, ok, got_ok = asyncio.run(run(wire.async_http_client()))
    plain_bad, _, plain_ok, _ = asyncio.run(run(httpx.AsyncClient()))
    assert got_bad == b"not json {" and got_ok == clean  # the odd spacing survives: no re-serialisation
    assert bad.status_code == 400 and bad.content == plain_bad.content == b"cannot parse \xff body"
    assert bad.headers["content-type"] == plain_bad.headers["content-type"]
    assert ok.content == plain_ok.content and ok.json()["choices"][0]["message"]["content"] == ANSWER
    exchange_bad, exchange_ok = wire.chat_exchanges()
    assert (
        exchange_bad.request_body == "not json {"
        and exchange_bad.adjusted == []
        and exchange_bad.status == 400
    )
    assert exchange_ok.adjusted == [] and exchange_ok.response_body == plain_ok.json()


def test_streamed_replies_pass_through_unchanged(llama):
    base_url, _ = llama
    body = {
        "model": MODEL,
        "stream": True,
        "tools": [TOOL],
        "messages": [{"role": "user", "content": "Paris?"}],
    }

    async def run(client):
        async with client, client.stream("POST", base_url + "/chat/completions", json=body) as response:
            return response.headers["content-type"], b"".join([chunk async for chunk in response.aiter_raw()])

    wire = WireLog()
    kind, raw = asyncio.run(run(wire.async_http_client()))
    assert kind.startswith("text/event-stream") and raw == SSE  # function_call in the delta is left alone
    [exchange] = wire.chat_exchanges()
    assert exchange.response_body == STREAMED and exchange.adjusted == [] and exchange.status == 200


def test_autogen_streaming_reads_tool_calls_and_ignores_function_call_in_a_delta(llama):
    """Why streamed replies pass untouched: Autogen 0.7.5's `create_stream` never reads `delta.function_call`.

    (autogen_ext/models/openai/_openai_client.py: `create` raises on `message.function_call`, but the
    stream loop reads only content and tool_calls, and raises only on finish_reason "function_call".)
    If a later Autogen raises here, strip `function_call` from SSE chunks in PortableTransport.
    """
    from autogen_core.models import CreateResult, UserMessage

    base_url, _ = llama
    wire = WireLog()

    async def run():
        client = _autogen_client(base_url, wire.async_http_client())
        try:
            question = [UserMessage(content="Weather in Paris?", source="user")]
            return [item async for item in client.create_stream(question, tools=[TOOL["function"]])]
        finally:
            await client.close()

    *_, result = asyncio.run(run())
    assert b'"function_call":{"name":"get_weather"' in SSE  # the stream really carries the deprecated field
    assert isinstance(result, CreateResult) and result.finish_reason == "function_calls"
    [call] = result.content
    assert (call.id, call.name) == ("call_1", "get_weather")
    [exchange] = wire.chat_exchanges()
    assert exchange.response_body == STREAMED and exchange.adjusted == []


def test_sync_mock_transport_and_odd_bodies_never_raise():
    seen = []

    def handler(request):
        seen.append(request.content)
        return httpx.Response(200, json={"choices": "odd", "function_call": {"name": "x"}})

    wire = WireLog()
    with httpx.Client(transport=PortableTransport(httpx.MockTransport(handler), wire)) as client:
        odd = [
            {"messages": "not a list"},
            [1, 2],
            {"messages": [None, 3, {"role": "assistant", "content": None}]},
        ]
        replies = [client.post("http://x/v1/chat/completions", json=b) for b in odd]
    assert [r.json() for r in replies] == [{"choices": "odd", "function_call": {"name": "x"}}] * 3
    assert json.loads(seen[0]) == {"messages": "not a list"} and json.loads(seen[1]) == [1, 2]
    assert json.loads(seen[2])["messages"][2] == {"role": "assistant", "content": ""}
    assert [e.adjusted for e in wire.exchanges] == [[], [], ['messages[2].content: null -> ""']]
    assert (
        portable_response_body({"choices": [{"message": {"tool_calls": [], "function_call": {"n": 1}}}]})
        == []
    )
    assert portable_request_body({"messages": [{"role": "user", "content": None}]}) == []


# -- (e) a tool message whose content is null or missing (an empty tool result) ------------------------------


def test_tool_content_null_or_missing_is_sent_as_empty_string_and_noted():
    body = {
        "messages": [
            {"role": "system", "content": None},
            {"role": "user", "content": None},
            {
                "role": "assistant",
                "content": "",
                "tool_calls": [{"id": "a", "function": {"arguments": "{}"}}],
            },
            {"role": "tool", "tool_call_id": "a", "content": None},
            {"role": "tool", "tool_call_id": "b"},
            {"role": "tool", "tool_call_id": "c", "content": ""},
        ]
    }
    assert portable_request_body(body) == [
        'messages[3].content: null -> ""',
        'messages[4].content: missing -> ""',
    ]
    assert [m.get("content", "(none)") for m in body["messages"]] == [None, None, "", "", "", ""]
    assert portable_request_body(body) == []  # done once, nothing left to change


def test_a_strict_standin_refuses_tool_content_null_unless_sent_through_the_portable_transport():
    from helpers.standin import StandIn

    call = {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": ARGS}}
    messages = [
        {"role": "user", "content": "Weather in Paris?"},
        {"role": "assistant", "content": "", "tool_calls": [call]},
        {"role": "tool", "tool_call_id": "call_1", "content": None},
    ]
    with StandIn(cassettes=[], strict=True, model_ids=[MODEL]) as server:
        plain = openai.OpenAI(base_url=server.base_url, api_key=server.api_key, max_retries=0)
        with pytest.raises(openai.BadRequestError) as refused:
            plain.chat.completions.create(model=MODEL, messages=messages, tools=[TOOL])
        wire = WireLog()
        portable = openai.OpenAI(
            base_url=server.base_url, api_key=server.api_key, max_retries=0, http_client=wire.http_client()
        )
        reply = portable.chat.completions.create(model=MODEL, messages=messages, tools=[TOOL])
        received = server.requests_log[-1]["messages"][2]
    assert refused.value.param == "messages[2].content" and refused.value.code == "strict_missing_content"
    assert reply.choices[0].finish_reason == "stop"
    assert received == {"role": "tool", "tool_call_id": "call_1", "content": ""}
    [exchange] = wire.chat_exchanges()
    assert exchange.adjusted == ['messages[2].content: null -> ""'] and exchange.status == 200
