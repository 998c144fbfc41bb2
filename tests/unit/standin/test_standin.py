"""The stand-in through the real openai SDK: plain, async, streamed, tool calls, Azure, faults, errors."""

from __future__ import annotations

import asyncio
import json
import time

import httpx
import openai
import pytest

from helpers.standin import StandIn
from tests.support.mcp_wire import TIME_TOOL

ASK_TIME = [{"role": "user", "content": "What time is it in Europe/Paris?"}]


@pytest.fixture(scope="module")
def standin():
    with StandIn(model_ids=["standin-tool-planner", "phi-4-mini-instruct-standin"]) as server:
        yield server


@pytest.fixture(autouse=True)
def _clean(standin):
    standin.clear_faults()
    yield
    standin.clear_faults()


def client(standin, **kw) -> openai.OpenAI:
    return openai.OpenAI(base_url=standin.base_url, api_key=standin.api_key, **kw)


def test_models_say_standin(standin):
    ids = [m.id for m in client(standin).models.list().data]
    assert ids == ["standin-tool-planner", "phi-4-mini-instruct-standin"]
    assert all("standin" in i for i in ids)


def test_plain_reply_is_labelled_and_counted(standin):
    before = standin.snapshot()["counts"].get("chat_requests", 0)
    reply = client(standin).chat.completions.create(
        model="standin-tool-planner", messages=[{"role": "user", "content": "Hello"}]
    )
    assert (
        "stand-in" in reply.choices[0].message.content
        and "not a language model" in reply.choices[0].message.content
    )
    assert reply.choices[0].finish_reason == "stop"
    assert reply.usage.total_tokens == reply.usage.prompt_tokens + reply.usage.completion_tokens > 0
    assert standin.snapshot()["counts"]["chat_requests"] == before + 1


def test_tool_call_then_answer_from_result(standin):
    c = client(standin)
    first = c.chat.completions.create(model="standin-tool-planner", messages=ASK_TIME, tools=[TIME_TOOL])
    call = first.choices[0].message.tool_calls[0]
    assert first.choices[0].finish_reason == "tool_calls"
    assert call.function.name == "get_current_time"
    assert json.loads(call.function.arguments) == {"timezone": "Europe/Paris"}
    result = json.dumps(
        {"timezone": "Europe/Paris", "datetime": "2026-11-21T17:43:05+01:00", "is_dst": False}
    )
    messages = ASK_TIME + [
        first.choices[0].message.model_dump(exclude_none=True),
        {"role": "tool", "tool_call_id": call.id, "content": result},
    ]
    final = c.chat.completions.create(model="standin-tool-planner", messages=messages, tools=[TIME_TOOL])
    text = final.choices[0].message.content
    assert final.choices[0].message.tool_calls is None
    assert "5:43 PM" in text and "CET" in text and "Europe/Paris" in text


def test_async_client(standin):
    async def ask():
        async with openai.AsyncOpenAI(base_url=standin.base_url, api_key=standin.api_key) as c:
            return await c.chat.completions.create(
                model="standin-tool-planner", messages=ASK_TIME, tools=[TIME_TOOL]
            )

    reply = asyncio.run(ask())
    assert reply.choices[0].message.tool_calls[0].function.name == "get_current_time"


def test_streamed_tool_call_deltas_reassemble(standin):
    stream = client(standin).chat.completions.create(
        model="standin-tool-planner",
        messages=ASK_TIME,
        tools=[TIME_TOOL],
        stream=True,
        stream_options={"include_usage": True},
    )
    name, arguments, finish, usage = "", "", None, None
    for chunk in stream:
        if chunk.usage:
            usage = chunk.usage
        for choice in chunk.choices:
            for delta in choice.delta.tool_calls or []:
                name += delta.function.name or ""
                arguments += delta.function.arguments or ""
            finish = choice.finish_reason or finish
    assert name == "get_current_time"
    assert json.loads(arguments) == {"timezone": "Europe/Paris"}
    assert finish == "tool_calls" and usage.total_tokens > 0


def test_streamed_text_ends_with_done(standin):
    with httpx.stream(
        "POST",
        standin.base_url + "/chat/completions",
        json={
            "model": "standin-tool-planner",
            "messages": [{"role": "user", "content": "hi"}],
            "stream": True,
        },
        headers={"Authorization": f"Bearer {standin.api_key}"},
    ) as response:
        lines = [line for line in response.iter_lines() if line]
    assert response.headers["content-type"].startswith("text/event-stream")
    assert lines[-1] == "data: [DONE]"
    text = "".join(json.loads(line[6:])["choices"][0]["delta"].get("content") or "" for line in lines[:-1])
    assert "stand-in" in text


def test_wrong_key_is_401(standin):
    with pytest.raises(openai.AuthenticationError):
        openai.OpenAI(base_url=standin.base_url, api_key="wrong", max_retries=0).models.list()


def test_azure_route_right_key_wrong_key_unknown_deployment(standin):
    def azure(key, deployment="standin-deployment"):
        return openai.AzureOpenAI(
            azure_endpoint=standin.url,
            azure_deployment=deployment,
            api_key=key,
            api_version="2024-10-21",
            max_retries=0,
        )

    reply = azure(standin.api_key).chat.completions.create(model="standin-deployment", messages=ASK_TIME)
    assert reply.choices[0].message.content and standin.last_auth == "api-key"
    before = standin.snapshot()["counts"].get("chat_requests", 0)
    with pytest.raises(openai.AuthenticationError) as wrong:
        azure("not-the-key").chat.completions.create(model="x", messages=ASK_TIME)
    assert "not-the-key" not in str(wrong.value)
    with pytest.raises(openai.NotFoundError, match="does not exist"):
        azure(standin.api_key, "gpt-typo").chat.completions.create(model="gpt-typo", messages=ASK_TIME)
    assert standin.snapshot()["counts"].get("chat_requests", 0) == before  # refused before any answer


def test_azure_bearer_uses_token_verifier():
    with StandIn(token_verifier=lambda token: token == "good-token") as server:
        ok = openai.AzureOpenAI(
            azure_endpoint=server.url,
            azure_deployment="standin-deployment",
            azure_ad_token_provider=lambda: "good-token",
            api_version="2024-10-21",
        )
        ok.chat.completions.create(model="standin-deployment", messages=ASK_TIME)
        assert server.last_auth == "bearer"
        bad = openai.AzureOpenAI(
            azure_endpoint=server.url,
            azure_deployment="standin-deployment",
            azure_ad_token_provider=lambda: "forged",
            api_version="2024-10-21",
            max_retries=0,
        )
        with pytest.raises(openai.AuthenticationError):
            bad.chat.completions.create(model="standin-deployment", messages=ASK_TIME)


def test_429_with_retry_after_is_retried_by_the_sdk(standin):
    standin.inject("status", status=429, retry_after=0.2)
    before = standin.snapshot()["counts"].get("chat_requests", 0)
    reply = client(standin, max_retries=2).chat.completions.create(
        model="standin-tool-planner", messages=ASK_TIME
    )
    assert reply.choices[0].message.content
    counts = standin.snapshot()["counts"]
    assert counts["chat_requests"] == before + 2 and counts["errors_429"] >= 1


def test_500_without_retries_fails_clearly(standin):
    standin.inject("status", status=500)
    with pytest.raises(openai.InternalServerError, match="injected on purpose"):
        client(standin, max_retries=0).chat.completions.create(
            model="standin-tool-planner", messages=ASK_TIME
        )


def test_slow_reply_hits_client_timeout(standin):
    standin.inject("slow", seconds=3.0)
    impatient = client(standin, max_retries=0, timeout=0.3)
    before = standin.snapshot()["counts"]["chat_requests"]
    started = time.monotonic()
    with pytest.raises(openai.APITimeoutError):
        impatient.chat.completions.create(model="standin-tool-planner", messages=ASK_TIME)
    elapsed = time.monotonic() - started
    # The client gave up at about 0.3 s; waiting for the reply would take 3 s. The bound leaves a busy
    # machine 2 s of slack and still tells the two apart.
    assert elapsed < 2.5, f"the client waited {elapsed:.1f} s for a reply it should have given up on"
    assert standin.snapshot()["counts"]["chat_requests"] - before == 1  # one try, no retry


def test_ignore_tools_fault_answers_without_calling(standin):
    standin.inject("ignore_tools")
    reply = client(standin).chat.completions.create(
        model="standin-tool-planner", messages=ASK_TIME, tools=[TIME_TOOL]
    )
    assert reply.choices[0].message.tool_calls is None
    assert "ignore" in reply.choices[0].message.content


def test_faults_over_http(standin):
    headers = {"Authorization": f"Bearer {standin.api_key}"}
    assert httpx.post(standin.url + "/standin/faults", json={"kind": "bogus"}).status_code == 400
    assert (
        httpx.post(standin.url + "/standin/faults", json={"kind": "status", "status": 500}).status_code == 200
    )
    response = httpx.post(
        standin.base_url + "/chat/completions",
        headers=headers,
        json={"model": "standin-tool-planner", "messages": ASK_TIME},
    )
    assert response.status_code == 500


@pytest.mark.parametrize(
    "body, fragment",
    [
        ({"messages": ASK_TIME}, "model parameter"),
        ({"model": "standin-tool-planner", "messages": []}, "non-empty"),
        ({"model": "standin-tool-planner", "messages": [{"role": "robot", "content": "x"}]}, "role"),
        (
            {"model": "standin-tool-planner", "messages": ASK_TIME + [{"role": "tool", "content": "x"}]},
            "tool_call_id",
        ),
        (
            {
                "model": "standin-tool-planner",
                "messages": ASK_TIME
                + [
                    {
                        "role": "assistant",
                        "tool_calls": [
                            {"id": "a", "type": "function", "function": {"name": "f", "arguments": "{}"}}
                        ],
                    },
                    {"role": "user", "content": "next"},
                ],
            },
            "must be followed by tool messages",
        ),
        (
            {"model": "standin-tool-planner", "messages": ASK_TIME, "tools": [{"type": "function"}]},
            "tools[0]",
        ),
        (
            {"model": "standin-tool-planner", "messages": ASK_TIME, "tools": "nope"},
            "'tools' must be an array",
        ),
    ],
)
def test_invalid_requests_get_openai_style_400(standin, body, fragment):
    response = httpx.post(
        standin.base_url + "/chat/completions",
        json=body,
        headers={"Authorization": f"Bearer {standin.api_key}"},
    )
    assert response.status_code == 400
    assert fragment in response.json()["error"]["message"]
    assert response.json()["error"]["type"] == "invalid_request_error"


def test_bad_json_body_and_unknown_model(standin):
    headers = {"Authorization": f"Bearer {standin.api_key}", "content-type": "application/json"}
    bad = httpx.post(standin.base_url + "/chat/completions", content=b"{not json", headers=headers)
    assert bad.status_code == 400 and "not valid JSON" in bad.json()["error"]["message"]
    unknown = httpx.post(
        standin.base_url + "/chat/completions", headers=headers, json={"model": "gpt-5", "messages": ASK_TIME}
    )
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "model_not_found"
    assert standin.running  # nothing crashed


def test_seed_cassette_replays_the_qwen_run(standin):
    doc = json.loads(
        (
            __import__("helpers.standin.cassette", fromlist=["x"]).CASSETTE_DIR / "seed-002-qwen3-4b.json"
        ).read_text()
    )
    first = doc["exchanges"][0]["request"]
    tools = [
        {"type": "function", "function": {"name": n, "parameters": {"type": "object", "properties": {}}}}
        for n in first["tools"]
    ]
    reply = client(standin).chat.completions.create(
        model="standin-tool-planner", messages=first["messages"], tools=tools
    )
    assert reply.system_fingerprint == "standin-cassette:seed-002-qwen3-4b"
    assert reply.choices[0].message.tool_calls[0].id == "e5d76aed-84fe-4d8f-8ae0-67f6ecd25b89"
    assert reply.model == "standin-tool-planner"  # says who answered, not "qwen3-4b"


def test_the_cassette_folder_is_where_record_writes_and_the_stand_in_replays(monkeypatch, tmp_path):
    from helpers.standin.cassette import CASSETTE_DIR, cassette_dir, load_all

    monkeypatch.delenv("WORKBOOK_CASSETTE_DIR", raising=False)
    assert cassette_dir() == CASSETTE_DIR and [c.name for c in load_all()] == ["seed-002-qwen3-4b"]
    monkeypatch.setenv("WORKBOOK_CASSETTE_DIR", str(tmp_path))
    assert cassette_dir() == tmp_path and load_all() == []  # the folder it names, and only that one
    (tmp_path / "mine.json").write_text((CASSETTE_DIR / "seed-002-qwen3-4b.json").read_text())
    assert [c.name for c in load_all()] == ["seed-002-qwen3-4b"]
    assert [c.name for c in StandIn().cassettes] == ["seed-002-qwen3-4b"]  # a stand-in made now replays it
