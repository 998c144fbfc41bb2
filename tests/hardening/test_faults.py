"""Faults the other tests do not cover: MCP servers killed in the middle of a tool loop (stdio and
streamable HTTP, then reconnecting), no orphan server processes once a notebook's kernel stops, an MCP
tool slower than its timeout, and an endpoint that keeps answering 429/500 or too slowly.

Already covered elsewhere, so not repeated here: a stdio server killed during a loop (the tool
message; tests/test_loop.py), a killed server seen by McpConnection directly and one nobody
listens on (tests/test_mcp_clients.py), slow local tools and a single 500 (tests/test_loop.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import nbformat
import openai
import psutil
import pytest

from helpers.mcp_client.connection import McpConnection, McpConnectionError
from helpers.servers.launch import start_server
from helpers.settings import PROJECT_ROOT
from helpers.standin import StandIn
from helpers.toolloop.loop import Toolbox, mcp_tools, run_tool_loop
from tests.support.notebooks import execute
from tests.support.scripted_endpoint import ScriptedStandIn

TESTS = Path(__file__).resolve().parent
ROOT = PROJECT_ROOT
CLUSTER = "helpers.servers.cluster"
POD = {"namespace": "default", "pod_name": "billing-service-v1-abcdef", "container_name": "istio-proxy"}
GUARD = 20  # seconds: a step that takes longer has hung


def completion(content: str | None = None, calls: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": content}
    if calls:
        message["tool_calls"] = calls
    return {
        "id": "chatcmpl-faults",
        "object": "chat.completion",
        "created": 1760000000,
        "model": "recorded",
        "choices": [{"index": 0, "message": message, "finish_reason": "tool_calls" if calls else "stop"}],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
    }


def call(name: str, arguments: dict[str, Any], call_id: str) -> dict[str, Any]:
    return {"id": call_id, "type": "function", "function": {"name": name, "arguments": json.dumps(arguments)}}


@pytest.fixture
def endpoint() -> Iterator[ScriptedStandIn]:
    server = ScriptedStandIn(model_ids=["standin-faults"]).start()
    try:
        yield server
    finally:
        server.stop()


def tool_messages(request: dict[str, Any]) -> list[str]:
    return [m["content"] for m in request["messages"] if m["role"] == "tool"]


def children_running(module: str) -> list[psutil.Process]:
    found = []
    for child in psutil.Process().children(recursive=True):
        try:
            if module in " ".join(child.cmdline()) and child.status() != psutil.STATUS_ZOMBIE:
                found.append(child)
        except psutil.Error:
            pass
    return found


def assert_gone(pids: list[int], timeout: float = 5.0) -> None:
    procs = [psutil.Process(p) for p in pids if psutil.pid_exists(p)]
    _, alive = psutil.wait_procs(procs, timeout=timeout)
    alive = [p for p in alive if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
    assert not alive, f"orphan server processes: {[(p.pid, p.cmdline()) for p in alive]}"


# --- an MCP server killed in the middle of a loop ------------------------------------------------


async def loop_with_a_kill(endpoint: ScriptedStandIn, connection: McpConnection, kill) -> Any:
    """Turn 1 calls the logs tool; the server is killed; turn 2 calls it again; turn 3 answers."""
    endpoint.load(
        [
            {"body": completion(None, [call("get_kubernetes_pod_logs", POD, "c1")])},
            {"body": completion(None, [call("get_kubernetes_pod_logs", POD, "c2")])},
            {"body": completion("The server went away; here is what I had.")},
        ]
    )
    client = openai.AsyncOpenAI(
        base_url=endpoint.base_url, api_key=endpoint.api_key, max_retries=0, timeout=10
    )
    toolbox = Toolbox(await mcp_tools(connection, ["get_kubernetes_pod_logs"]))
    try:
        return await asyncio.wait_for(
            run_tool_loop(
                client,
                [{"role": "user", "content": "Why does istio-proxy fail?"}],
                toolbox,
                model="standin-faults",
                tool_timeout=10,
                on_turn=lambda turn: kill() if turn.number == 1 else None,
            ),
            GUARD,
        )
    finally:
        await client.close()


def check_killed_loop(transcript: Any, endpoint: ScriptedStandIn, label: str) -> None:
    first, second = transcript.tool_runs
    assert first.problem is None and "logs" in first.result
    # noticed as a dead server, not waited out: the tool timeout is 10 s
    assert second.problem == "exception" and second.seconds < 8, (second.problem, second.seconds)
    assert second.result.startswith("Error: get_kubernetes_pod_logs failed: McpConnectionError: " + label)
    assert "the server went away" in second.result or "session is closed" in second.result
    assert tool_messages(endpoint.requests_log[2])[-1] == second.result  # the model was told
    assert transcript.stop_reason == "answered"


@pytest.mark.anyio
async def test_http_server_killed_mid_loop_then_reconnect(endpoint: ScriptedStandIn) -> None:
    server = await asyncio.to_thread(start_server, CLUSTER, "streamable-http")
    try:
        connection = await asyncio.wait_for(McpConnection.http(server.url), GUARD)
        try:
            transcript = await loop_with_a_kill(endpoint, connection, server.process.kill)
            check_killed_loop(transcript, endpoint, "streamable HTTP")
            started = time.monotonic()
            with pytest.raises(McpConnectionError, match="session is closed .*Open a new connection"):
                await asyncio.wait_for(connection.call_tool("get_kubernetes_pod_logs", POD), GUARD)
            assert time.monotonic() - started < 5  # refused at once, not after a network timeout
        finally:
            await asyncio.wait_for(connection.close(), GUARD)
        assert_gone([server.process.pid])
    finally:
        server.stop()
    # the server comes back (a learner restarts it): a new connection works
    with await asyncio.to_thread(start_server, CLUSTER, "streamable-http") as again:
        async with await asyncio.wait_for(McpConnection.http(again.url), GUARD) as connection:
            result = await asyncio.wait_for(connection.call_tool("get_kubernetes_pod_logs", POD), GUARD)
            assert not result.isError
    assert_gone([again.process.pid])


@pytest.mark.anyio
async def test_stdio_server_killed_mid_loop_then_reconnect(endpoint: ScriptedStandIn) -> None:
    connection = await asyncio.wait_for(McpConnection.stdio(CLUSTER), GUARD)
    (process,) = children_running(CLUSTER)
    try:
        transcript = await loop_with_a_kill(endpoint, connection, process.kill)
        check_killed_loop(transcript, endpoint, "stdio")
    finally:
        await asyncio.wait_for(connection.close(), GUARD)
    assert_gone([process.pid])
    async with await asyncio.wait_for(McpConnection.stdio(CLUSTER), GUARD) as connection:
        (new_process,) = children_running(CLUSTER)
        assert new_process.pid != process.pid
        result = await asyncio.wait_for(connection.call_tool("get_kubernetes_pod_logs", POD), GUARD)
        assert not result.isError
    assert_gone([new_process.pid])
    assert children_running(CLUSTER) == []


# --- no orphans when a notebook's kernel stops --------------------------------------------------


def kernel_cells(start: str) -> list[str]:
    return [
        "import json, os, psutil\n"
        "from helpers.mcp_client.connection import McpConnection\n"
        "from helpers.servers.launch import start_server\n"
        "from helpers.servers.time import start_time_server",
        start,
        # nothing is closed on purpose: the kernel just stops, as when a learner closes the tab
        "children = [p.pid for p in psutil.Process().children(recursive=True)]\n"
        "open(os.environ['PIDS_FILE'], 'w').write(json.dumps({'kernel': os.getpid(), 'children': children}))",
    ]


def run_and_check_orphans(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, start: str, at_least: int) -> None:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(source) for source in kernel_cells(start)]
    source = tmp_path / "servers.ipynb"
    nbformat.write(nb, source)
    monkeypatch.setenv("PIDS_FILE", str(tmp_path / "pids.json"))
    execute(source, tmp_path / "servers-out.ipynb", cwd=tmp_path, timeout=120)
    pids = json.loads((tmp_path / "pids.json").read_text())
    assert len(pids["children"]) >= at_least, pids
    try:
        assert_gone([pids["kernel"], *pids["children"]], timeout=10)
    finally:  # never leave them running for the next test
        for pid in pids["children"]:
            with contextlib.suppress(psutil.Error):
                psutil.Process(pid).kill()


@pytest.mark.notebook
def test_no_orphan_servers_after_the_kernel_stops(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A kernel that started a stdio and an HTTP server and never closed them leaves no process behind."""
    run_and_check_orphans(
        tmp_path,
        monkeypatch,
        (
            "stdio = await McpConnection.stdio('helpers.servers.cluster')\n"
            "http = start_server('helpers.servers.knowledge_base', 'streamable-http')\n"
            "await stdio.call_tool('get_kubernetes_pod_logs', "
            "{'namespace': 'default', 'pod_name': 'billing-service-v1-abcdef', 'container_name': 'istio-proxy'})"
        ),
        2,
    )


@pytest.mark.notebook
def test_no_orphan_time_server_after_the_kernel_stops(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """mcp-proxy runs in its own session (out of reach of Ctrl-C); die_with_parent still ends it with the kernel."""
    run_and_check_orphans(tmp_path, monkeypatch, "time_server = start_time_server()", 2)


# --- an MCP tool slower than its timeout ----------------------------------------------------------


@pytest.mark.anyio
async def test_slow_mcp_tool_is_cancelled_and_the_session_lives_on(endpoint: ScriptedStandIn) -> None:
    connection = await asyncio.wait_for(
        McpConnection.stdio(
            "tests.support.slow_mcp_server", env={"PYTHONPATH": f"{ROOT}:{TESTS.parent / 'guard'}"}
        ),
        GUARD,
    )
    try:
        endpoint.load(
            [
                {
                    "body": completion(
                        None, [call("nap", {"seconds": 30}, "slow"), call("nap", {"seconds": 0}, "quick")]
                    )
                },
                {"body": completion("The slow one timed out.")},
            ]
        )
        client = openai.AsyncOpenAI(
            base_url=endpoint.base_url, api_key=endpoint.api_key, max_retries=0, timeout=10
        )
        started = time.monotonic()
        try:
            transcript = await asyncio.wait_for(
                run_tool_loop(
                    client,
                    [{"role": "user", "content": "Nap."}],
                    Toolbox(await mcp_tools(connection)),
                    model="standin-faults",
                    tool_timeout=0.5,
                ),
                GUARD,
            )
        finally:
            await client.close()
        assert time.monotonic() - started < 15  # the slow tool sleeps 30 s: the loop did not wait for it
        slow, quick = transcript.tool_runs
        assert slow.problem == "timeout" and 0.5 <= slow.seconds < 10  # cancelled at 0.5 s, not after 30
        assert quick.problem is None and quick.result == "slept 0 s"
        assert tool_messages(endpoint.requests_log[1]) == [
            "Error: nap did not finish within 0.5 s and was cancelled. Try again later or with narrower arguments.",
            "slept 0 s",
        ]
        assert transcript.stop_reason == "answered" and transcript.final_answer == "The slow one timed out."
        # the session survived the cancelled call
        result = await asyncio.wait_for(connection.call_tool("nap", {"seconds": 0}), GUARD)
        assert result.content[0].text == "slept 0 s"
        # McpConnection's own timeout: a clear error, not a hang
        with pytest.raises(Exception, match="(?i)timed out|no answer within"):
            await asyncio.wait_for(connection.call_tool("nap", {"seconds": 30}, timeout=0.5), GUARD)
        assert connection.is_open
    finally:
        await asyncio.wait_for(connection.close(), GUARD)


# --- the endpoint: 429, 500 and timeouts ------------------------------------------------------------


async def loop_on(standin: StandIn, **client_options: Any) -> tuple[Any, float]:
    client = openai.AsyncOpenAI(base_url=standin.base_url, api_key=standin.api_key, **client_options)
    started = time.monotonic()
    try:
        transcript = await asyncio.wait_for(
            run_tool_loop(
                client, [{"role": "user", "content": "Hello"}], Toolbox([]), model=standin.model_ids[0]
            ),
            GUARD,
        )
    finally:
        await client.close()
    return transcript, time.monotonic() - started


@pytest.mark.anyio
async def test_429_is_retried_after_retry_after_then_answers(standin: StandIn) -> None:
    standin.inject("status", times=2, status=429, retry_after=0.2)
    transcript, elapsed = await loop_on(standin, max_retries=2, timeout=10)
    assert transcript.stop_reason == "answered" and transcript.final_answer
    counts = standin.snapshot()["counts"]
    assert counts["errors_429"] == 2 and counts["chat_requests"] == 3
    assert elapsed >= 0.4  # the SDK waited Retry-After (0.2 s) before each retry
    assert elapsed < 15  # bounded (the upper bound only guards against a hang)


@pytest.mark.parametrize(
    "status, error", [(429, "RateLimitError"), (500, "InternalServerError"), (503, "InternalServerError")]
)
@pytest.mark.anyio
async def test_persistent_errors_are_retried_a_bounded_number_of_times(
    standin: StandIn, status: int, error: str
) -> None:
    standin.inject("status", times=50, status=status)
    transcript, elapsed = await loop_on(standin, max_retries=2, timeout=10)
    assert transcript.stop_reason == "api_error" and transcript.error.startswith(error)
    assert f"HTTP {status}" in transcript.error and "endpoint returned an error" in transcript.explanation
    assert standin.snapshot()["counts"]["chat_requests"] == 3  # one try and max_retries=2 retries, no more
    assert 0.5 < elapsed < 15  # with backoff between tries (the SDK's 0.5 s, doubling, jittered), bounded


@pytest.mark.anyio
async def test_a_slow_endpoint_times_out_with_bounded_retries(standin: StandIn) -> None:
    standin.inject("slow", times=50, seconds=4)
    transcript, elapsed = await loop_on(standin, max_retries=1, timeout=0.4)
    assert transcript.stop_reason == "api_error" and transcript.error.startswith("APITimeoutError")
    assert standin.snapshot()["counts"]["chat_requests"] == 2
    # Two tries that give up at 0.4 s, plus one backoff, take about 2 s; waiting for the two slow
    # replies would take over 8 s. The bound leaves 4 s of slack for a busy machine.
    assert elapsed < 6, elapsed


def test_notebook_clients_have_bounded_retries_and_timeouts(monkeypatch: pytest.MonkeyPatch) -> None:
    """connect() never builds a client that waits forever: the SDK's retries and timeout are finite."""
    from helpers.llm.backends import connect

    for name in ("WORKBOOK_MAX_RETRIES", "WORKBOOK_TIMEOUT"):
        monkeypatch.delenv(name, raising=False)
    backend = connect("standin")
    for client in (backend.client, backend.async_client):
        assert client.max_retries == 3
        assert client.timeout == 60
    azure = connect("standin", api="azure", max_retries=1, timeout=5)
    assert (azure.async_client.max_retries, azure.async_client.timeout) == (1, 5)
