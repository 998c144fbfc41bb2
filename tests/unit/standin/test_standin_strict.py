"""Strict mode: the stand-in refuses request shapes that OpenAI accepts but stricter servers reject.

Every request goes through the real openai SDK to a started StandIn: once to a strict one (HTTP 400
naming the field, the servers and the fix) and once to a default one (accepted, as OpenAI would).
"""

from __future__ import annotations

import json

import openai
import pytest

from helpers.standin import StandIn
from helpers.standin import validate as rules
from tests.support.mcp_wire import TIME_TOOL

MODEL = "standin-tool-planner"
QUESTION = {"role": "user", "content": "What time is it in Europe/Paris?"}
CALL = {
    "id": "call_1",
    "type": "function",
    "function": {"name": "get_current_time", "arguments": json.dumps({"timezone": "Europe/Paris"})},
}
RESULT = json.dumps({"timezone": "Europe/Paris", "datetime": "2026-11-21T17:43:05+01:00", "is_dst": False})


def conversation(
    assistant: dict | None = None, tool: dict | None = None, call: dict | None = None
) -> list[dict]:
    """Question, the assistant's tool call, and its result, with the given fields changed."""
    return [
        QUESTION,
        {"role": "assistant", "tool_calls": [{**CALL, **(call or {})}], **(assistant or {})},
        {"role": "tool", "tool_call_id": "call_1", "content": RESULT, **(tool or {})},
    ]


@pytest.fixture(scope="module")
def strict():
    with StandIn(cassettes=[], strict=True) as server:
        yield server


@pytest.fixture(scope="module")
def lenient():
    with StandIn(cassettes=[], strict=False) as server:
        yield server


def client(server: StandIn) -> openai.OpenAI:
    return openai.OpenAI(base_url=server.base_url, api_key=server.api_key, max_retries=0)


def refused(server: StandIn, **request) -> openai.BadRequestError:
    with pytest.raises(openai.BadRequestError) as caught:
        client(server).chat.completions.create(model=MODEL, **request)
    return caught.value


# --- the rule the workbook met first: "content": null on an assistant message ------------------------------


def test_assistant_content_null_is_refused_in_strict_mode(strict):
    before = strict.snapshot()["counts"].get("strict_rejections", 0)
    error = refused(strict, messages=conversation(assistant={"content": None}), tools=[TIME_TOOL])
    assert error.status_code == 400
    assert error.param == "messages[1].content" and error.code == "strict_assistant_content_null"
    message = error.body["message"]
    assert "`messages[1].content`" in message and "null on an assistant message" in message
    assert "llama-cpp-python" in message  # which real servers refuse it
    assert "leave `content` out or send a string" in message  # and how to fix it
    assert strict.snapshot()["counts"]["strict_rejections"] == before + 1


def test_assistant_content_null_is_accepted_in_default_mode(lenient):
    reply = client(lenient).chat.completions.create(
        model=MODEL, messages=conversation(assistant={"content": None}), tools=[TIME_TOOL]
    )
    assert reply.choices[0].finish_reason == "stop"
    assert "5:43 PM" in reply.choices[0].message.content  # answered from the tool result


@pytest.mark.parametrize(
    "assistant",
    [{}, {"content": ""}, {"content": "Let me look that up."}],
    ids=["content left out", "empty string", "text"],
)
def test_the_shapes_the_fix_suggests_pass_strict_mode(strict, assistant):
    reply = client(strict).chat.completions.create(
        model=MODEL, messages=conversation(assistant=assistant), tools=[TIME_TOOL]
    )
    assert "Europe/Paris" in reply.choices[0].message.content


def test_a_whole_sdk_tool_loop_passes_strict_mode(strict):
    c = client(strict)
    first = c.chat.completions.create(model=MODEL, messages=[QUESTION], tools=[TIME_TOOL], tool_choice="auto")
    call = first.choices[0].message.tool_calls[0]
    messages = [
        QUESTION,
        first.choices[0].message.model_dump(exclude_none=True),
        {"role": "tool", "tool_call_id": call.id, "content": RESULT},
    ]
    final = c.chat.completions.create(model=MODEL, messages=messages, tools=[TIME_TOOL])
    assert final.choices[0].finish_reason == "stop" and "5:43 PM" in final.choices[0].message.content


# --- an empty tool result sent as "content": null (Ollama refuses it; PortableTransport sends "") -----------


def test_tool_content_null_is_refused_in_strict_mode_naming_the_field(strict):
    error = refused(strict, messages=conversation(tool={"content": None}), tools=[TIME_TOOL])
    assert error.status_code == 400
    assert error.param == "messages[2].content" and error.code == "strict_missing_content"
    message = error.body["message"]
    assert "`messages[2].content` is null on a tool message" in message
    assert 'Ollama refuses it (HTTP 400 "invalid message content type: <nil>"' in message
    assert "#13477" in message and "an empty tool result" in message  # the llama.cpp builds; the fix


def test_tool_content_null_is_accepted_in_default_mode_and_as_empty_string_in_strict_mode(strict, lenient):
    for server, content in ((lenient, None), (strict, "")):
        reply = client(server).chat.completions.create(
            model=MODEL, messages=conversation(tool={"content": content}), tools=[TIME_TOOL]
        )
        assert reply.choices[0].finish_reason == "stop" and reply.choices[0].message.content


# --- one case per other rule: refused when strict, accepted by default -------------------------------------

CASES = {
    rules.MISSING_CONTENT: (  # a missing key here; null is tested above
        dict(messages=[*conversation()[:2], {"role": "tool", "tool_call_id": "call_1"}], tools=[TIME_TOOL]),
        "messages[2].content",
    ),
    rules.CONTENT_TYPE: (
        dict(messages=conversation(tool={"content": {"timezone": "Europe/Paris"}}), tools=[TIME_TOOL]),
        "messages[2].content",
    ),
    rules.CONTENT_PARTS_ROLE: (
        dict(messages=[{"role": "system", "content": [{"type": "text", "text": "Be brief."}]}, QUESTION]),
        "messages[0].content",
    ),
    rules.DEVELOPER_ROLE: (
        dict(messages=[{"role": "developer", "content": "Be brief."}, QUESTION]),
        "messages[0].role",
    ),
    rules.EMPTY_TOOL_CALLS: (
        dict(
            messages=[
                QUESTION,
                {"role": "assistant", "content": "Paris?", "tool_calls": []},
                {"role": "user", "content": "Yes, Paris."},
            ]
        ),
        "messages[1].tool_calls",
    ),
    rules.TOOL_CALL_SHAPE: (
        dict(
            messages=[
                QUESTION,
                {"role": "assistant", "tool_calls": [{"id": "call_1", "function": CALL["function"]}]},
                conversation()[2],
            ],
            tools=[TIME_TOOL],
        ),
        "messages[1].tool_calls[0].type",
    ),
    rules.TOOL_CALL_ARGUMENTS: (
        dict(
            messages=conversation(
                call={"function": {"name": "get_current_time", "arguments": '{"timezone": "Europe/Par'}}
            ),
            tools=[TIME_TOOL],
        ),
        "messages[1].tool_calls[0].function.arguments",
    ),
    rules.NAME_NOT_STRING: (
        dict(messages=conversation(tool={"name": None}), tools=[TIME_TOOL]),
        "messages[2].name",
    ),
    rules.TOOL_DEFINITION: (
        dict(
            messages=[QUESTION],
            tools=[
                {
                    "type": "function",
                    "function": {"name": "get_current_time", "description": "Get the current time."},
                }
            ],
        ),
        "tools[0].function.parameters",
    ),
    rules.TOOL_CHOICE: (dict(messages=[QUESTION], tool_choice="auto"), "tool_choice"),
    rules.STREAM_OPTIONS: (
        dict(messages=[QUESTION], stream_options={"include_usage": True}),
        "stream_options",
    ),
    rules.DEPRECATED_FUNCTIONS: (dict(messages=[QUESTION], functions=[TIME_TOOL["function"]]), "functions"),
    rules.UNKNOWN_FIELD: (dict(messages=[QUESTION], extra_body={"top_k": 40}), "top_k"),
}


def test_every_rule_has_a_case_here():
    assert set(CASES) | {rules.ASSISTANT_CONTENT_NULL} == set(rules.STRICT_RULES)


@pytest.mark.parametrize("rule", list(CASES), ids=lambda rule: rule.code)
def test_each_rule_is_refused_in_strict_mode_naming_field_servers_and_fix(strict, rule):
    request, path = CASES[rule]
    error = refused(strict, **request)
    assert error.status_code == 400
    assert error.param == path and error.code == f"strict_{rule.code}"
    message = error.body["message"]
    assert f"`{path}`" in message and rule.servers in message and f"Fix: {rule.fix}" in message
    assert rule.source in message


@pytest.mark.parametrize("rule", list(CASES), ids=lambda rule: rule.code)
def test_each_rule_is_accepted_in_default_mode(lenient, rule):
    request, _ = CASES[rule]
    reply = client(lenient).chat.completions.create(model=MODEL, **request)
    assert reply.choices[0].message.content or reply.choices[0].message.tool_calls


@pytest.mark.parametrize(
    "arguments, found",
    [
        ({"timezone": "Europe/Paris"}, "a JSON object, not a string holding JSON"),
        ("", "not valid JSON"),
        ('["Europe/Paris"]', "JSON, but a array, not an object"),
    ],
)
def test_other_unusable_arguments(strict, arguments, found):
    error = refused(
        strict,
        messages=conversation(call={"function": {"name": "get_current_time", "arguments": arguments}}),
        tools=[TIME_TOOL],
    )
    assert error.code == "strict_tool_call_arguments" and found in error.body["message"]


def test_several_problems_the_first_is_named_and_the_rest_counted(strict):
    error = refused(
        strict,
        messages=conversation(assistant={"content": None}, tool={"name": None}),
        tools=[TIME_TOOL],
        extra_body={"top_k": 40},
    )
    assert error.param == "top_k"  # request order: top-level fields first
    assert "2 more strict-mode problem(s)" in error.body["message"]


def test_the_azure_route_is_strict_too():
    with StandIn(cassettes=[], strict=True) as server:
        azure = openai.AzureOpenAI(
            azure_endpoint=server.url,
            azure_deployment="standin-deployment",
            api_key=server.api_key,
            api_version="2024-10-21",
            max_retries=0,
        )
        with pytest.raises(openai.BadRequestError) as caught:
            azure.chat.completions.create(
                model="standin-deployment",
                tools=[TIME_TOOL],
                messages=conversation(assistant={"content": None}),
            )
    assert caught.value.param == "messages[1].content"


# --- how strictness is chosen, and where it shows ----------------------------------------------------------


def test_strictness_comes_from_the_environment_once_unless_given(monkeypatch):
    monkeypatch.setenv("WORKBOOK_STANDIN_STRICT", "1")
    from_env, overridden = StandIn(cassettes=[]), StandIn(cassettes=[], strict=False)
    monkeypatch.setenv("WORKBOOK_STANDIN_STRICT", "0")
    assert from_env.strict is True and overridden.strict is False  # read at construction, not per request
    assert StandIn(cassettes=[]).strict is False
    monkeypatch.delenv("WORKBOOK_STANDIN_STRICT")
    assert StandIn(cassettes=[]).strict is False and StandIn(cassettes=[], strict=True).strict is True


def test_strictness_shows_in_repr_snapshot_and_stats_route(strict, lenient):
    import httpx

    assert "strict=True" in repr(strict) and "strict=False" in repr(lenient)
    assert strict.snapshot()["strict"] is True and lenient.snapshot()["strict"] is False
    assert httpx.get(strict.url + "/standin/stats").json()["strict"] is True
