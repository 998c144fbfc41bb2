"""The knowledge-base MCP server: in memory, as a stdio subprocess, and over streamable HTTP and SSE."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import AsyncExitStack
from pathlib import Path

import pytest
from mcp import ClientSession, StdioServerParameters
from mcp.client.sse import sse_client
from mcp.client.stdio import stdio_client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.memory import create_connected_server_and_client_session

from helpers.mcp_client.connection import read_stats
from helpers.ports import free_port, wait_for_port
from helpers.servers.knowledge_base import DEFAULT_KB_PATH, KB_PATH_VARIABLE, build_server
from helpers.settings import PROJECT_ROOT

SERVER_MODULE = "helpers.servers.knowledge_base"
KB_FILE = PROJECT_ROOT / "data" / "kb.json"


def vacation_answer() -> str:
    """The vacation answer as written in data/kb.json."""
    entries = json.loads(KB_FILE.read_text(encoding="utf-8"))
    return next(e["answer"] for e in entries if "vacation" in e["question"].lower())


def server_env(**overrides: str) -> dict[str, str]:
    """This process's environment (the loopback guard included) without a stray WORKBOOK_KB_PATH."""
    env = {k: v for k, v in os.environ.items() if k != KB_PATH_VARIABLE}
    return env | overrides


async def check_session(session: ClientSession) -> None:
    """List tools, call get_knowledge_base once, and see the call in the server's own count."""
    tools = (await session.list_tools()).tools
    assert [t.name for t in tools] == ["get_knowledge_base"]
    assert tools[0].description.startswith("Retrieve the entire knowledge base as a formatted string.")
    assert tools[0].inputSchema.get("properties", {}) == {}

    result = await session.call_tool("get_knowledge_base", {})
    assert not result.isError
    text = result.content[0].text
    assert vacation_answer() in text
    assert text.startswith("Here is the retrieved knowledge base:") and "Q1: " in text

    stats = await read_stats(session)
    assert stats == {"tool_calls": {"get_knowledge_base": 1}, "total": 1}


def test_default_path_is_the_repository_data_file() -> None:
    assert DEFAULT_KB_PATH == KB_FILE
    assert 10 <= len(json.loads(KB_FILE.read_text(encoding="utf-8"))) <= 15


@pytest.mark.anyio
async def test_in_memory(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(KB_PATH_VARIABLE, raising=False)
    async with create_connected_server_and_client_session(build_server()) as session:
        await check_session(session)


@pytest.mark.anyio
async def test_stdio_subprocess(tmp_path: Path) -> None:
    params = StdioServerParameters(
        command=sys.executable, args=["-m", SERVER_MODULE], env=server_env(), cwd=tmp_path
    )
    # A real file as errlog: the same call must work under Jupyter, whose stderr has no fileno
    with (tmp_path / "server.stderr").open("w") as errlog:
        async with (
            stdio_client(params, errlog=errlog) as (read, write),
            ClientSession(read, write) as session,
        ):
            await session.initialize()
            await check_session(session)


@pytest.fixture(params=["streamable-http", "sse"])
def http_server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """Start the server on a free port; yields (transport, url)."""
    transport = request.param
    port = free_port()
    with (tmp_path / "server.stderr").open("w") as errlog:
        process = subprocess.Popen(
            [sys.executable, "-m", SERVER_MODULE, "--transport", transport, "--port", str(port)],
            env=server_env(),
            cwd=tmp_path,
            stdout=subprocess.DEVNULL,
            stderr=errlog,
        )
    try:
        try:
            wait_for_port(port, timeout=30, alive=lambda: process.poll() is None)
        except TimeoutError:
            pytest.fail(f"{transport} server did not start: {(tmp_path / 'server.stderr').read_text()}")
        path = "/mcp" if transport == "streamable-http" else "/sse"
        yield transport, f"http://127.0.0.1:{port}{path}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@pytest.mark.anyio
async def test_http_transports(http_server: tuple[str, str]) -> None:
    transport, url = http_server
    async with AsyncExitStack() as stack:
        if transport == "streamable-http":
            read, write, _ = await stack.enter_async_context(streamable_http_client(url))
        else:
            read, write = await stack.enter_async_context(sse_client(url))
        session = await stack.enter_async_context(ClientSession(read, write))
        await session.initialize()
        await check_session(session)


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (None, "does not exist"),
        ("{not json", "is not valid JSON"),
        ('{"question": "q", "answer": "a"}', "must hold a JSON list"),
        ('[{"question": "q"}]', "entry 1 needs a non-empty string 'answer'"),
    ],
    ids=["missing", "not-json", "not-a-list", "no-answer"],
)
@pytest.mark.anyio
async def test_broken_kb_path_gives_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, content: str | None, problem: str
) -> None:
    broken = tmp_path / "kb.json"
    if content is not None:
        broken.write_text(content, encoding="utf-8")
    monkeypatch.setenv(KB_PATH_VARIABLE, str(broken))
    async with create_connected_server_and_client_session(build_server()) as session:
        result = await session.call_tool("get_knowledge_base", {})
        stats = await read_stats(session)
    assert result.isError
    message = result.content[0].text
    assert str(broken) in message and problem in message
    assert stats["total"] == 1  # failed calls count too


@pytest.mark.anyio
async def test_broken_kb_path_over_stdio(tmp_path: Path) -> None:
    broken = tmp_path / "kb.json"
    broken.write_text("[1, 2", encoding="utf-8")
    params = StdioServerParameters(
        command=sys.executable, args=["-m", SERVER_MODULE], env=server_env(**{KB_PATH_VARIABLE: str(broken)})
    )
    with (tmp_path / "server.stderr").open("w") as errlog:
        async with (
            stdio_client(params, errlog=errlog) as (read, write),
            ClientSession(read, write) as session,
        ):
            await session.initialize()
            result = await session.call_tool("get_knowledge_base", {})
    assert result.isError
    assert str(broken) in result.content[0].text and "is not valid JSON" in result.content[0].text
