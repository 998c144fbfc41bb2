"""McpConnection (helpers/mcp_client/connection.py) against the real knowledge-base server: stdio, streamable HTTP, SSE.

Servers are real subprocesses. Every wait is bounded: a test that would hang fails on its guard.
What a call through McpConnection costs next to a raw `mcp.ClientSession` is a benchmark, not a test
(times on a shared machine prove nothing): `benchmarks/tool_call_overhead.py` measures it.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from collections.abc import Awaitable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil
import pytest

from helpers.mcp_client.connection import McpConnection, McpConnectionError
from helpers.ports import free_port, wait_for_port
from helpers.servers.knowledge_base import KB_PATH_VARIABLE

MODULE = "helpers.servers.knowledge_base"
TOOL = "get_knowledge_base"
GUARD = 10  # seconds: any single step that takes longer has hung


@pytest.fixture(autouse=True)
def bundled_kb(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(KB_PATH_VARIABLE, raising=False)  # the servers read the repository's data/kb.json


async def guarded(step: Awaitable[Any]) -> Any:
    return await asyncio.wait_for(step, GUARD)


def server_processes() -> set[int]:
    """PIDs of knowledge-base servers started by this process."""
    found = set()
    for child in psutil.Process().children(recursive=True):
        try:
            if MODULE in " ".join(child.cmdline()):
                found.add(child.pid)
        except psutil.Error:
            pass
    return found


def wait_gone(pids: set[int], timeout: float = 5.0) -> None:
    _, alive = psutil.wait_procs([psutil.Process(p) for p in pids if psutil.pid_exists(p)], timeout=timeout)
    assert not [p for p in alive if p.status() != psutil.STATUS_ZOMBIE], (
        f"server processes left behind: {alive}"
    )


def check_result(result: Any) -> None:
    assert not result.isError
    assert result.content[0].text.startswith("Here is the retrieved knowledge base:")


# --- HTTP servers -----------------------------------------------------------------------------


@dataclass
class HttpServer:
    transport: str
    process: subprocess.Popen
    url: str
    errlog: Path

    def kill(self) -> None:
        self.process.kill()
        self.process.wait(timeout=GUARD)


def start_servers(transports: list[str], folder: Path) -> dict[str, HttpServer]:
    """Start one server per transport (all at once: each spends ~1.5 s importing), wait until each listens."""
    servers = {}
    try:
        for transport in transports:
            port = free_port()
            errlog = folder / f"{transport}.stderr"
            with errlog.open("w") as err:
                process = subprocess.Popen(
                    [sys.executable, "-m", MODULE, "--transport", transport, "--port", str(port)],
                    stdout=subprocess.DEVNULL,
                    stderr=err,
                    cwd=folder,
                )
            path = "/mcp" if transport == "streamable-http" else "/sse"
            servers[transport] = HttpServer(transport, process, f"http://127.0.0.1:{port}{path}", errlog)
            servers[transport].port = port
        for server in servers.values():
            try:
                wait_for_port(server.port, timeout=30, alive=lambda s=server: s.process.poll() is None)
            except TimeoutError:
                pytest.fail(f"the {server.transport} server did not start: {server.errlog.read_text()}")
    except BaseException:
        stop_servers(servers)
        raise
    return servers


def stop_servers(servers: dict[str, HttpServer]) -> None:
    for server in servers.values():
        server.process.terminate()
    for server in servers.values():
        try:
            server.process.wait(timeout=GUARD)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait(timeout=GUARD)


@pytest.fixture(scope="module")
def shared_servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, HttpServer]]:
    """A streamable-HTTP and an SSE server, shared by the tests that do not kill them."""
    servers = start_servers(["streamable-http", "sse"], tmp_path_factory.mktemp("servers"))
    try:
        yield servers
    finally:
        stop_servers(servers)


async def open_http(server: HttpServer) -> McpConnection:
    opener = McpConnection.http if server.transport == "streamable-http" else McpConnection.sse
    return await guarded(opener(server.url, timeout=GUARD))


# --- stdio ------------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_stdio_lifecycle_across_tasks() -> None:
    """Open in one task, list and call in others, close in another: what notebook cells do."""
    before = server_processes()
    connection = await guarded(asyncio.create_task(McpConnection.stdio(MODULE)))
    ours = server_processes() - before
    try:
        assert len(ours) == 1
        assert connection.is_open and connection.server_name == "knowledge-base"
        assert "open" in repr(connection) and "knowledge-base" in repr(connection)
        tools = await guarded(asyncio.create_task(connection.list_tools()))
        assert [t.name for t in tools] == [TOOL]
        check_result(await guarded(asyncio.create_task(connection.call_tool(TOOL))))
        check_result(await guarded(connection.call_tool(TOOL, {})))  # and from the task that opened it
        results = await guarded(
            asyncio.gather(*(asyncio.create_task(connection.call_tool(TOOL)) for _ in range(5)))
        )
        for result in results:
            check_result(result)
        stats = await guarded(asyncio.create_task(connection.stats()))
        assert stats == {"tool_calls": {TOOL: 7}, "total": 7}  # counted by the server itself
    finally:
        await guarded(asyncio.create_task(connection.close()))
    assert not connection.is_open and "closed" in repr(connection)
    wait_gone(ours)  # closing ends the server process
    with pytest.raises(McpConnectionError, match="the session is closed"):
        await connection.call_tool(TOOL)
    await guarded(connection.close())  # closing twice is harmless


@pytest.mark.anyio
async def test_stdio_module_that_does_not_exist() -> None:
    started = time.monotonic()
    with pytest.raises(McpConnectionError) as caught:
        await guarded(McpConnection.stdio("helpers.servers.no_such_server", timeout=GUARD))
    assert time.monotonic() - started < 5
    message = str(caught.value)
    assert "python -m helpers.servers.no_such_server" in message
    assert "No module named helpers.servers.no_such_server" in message  # the server's own stderr


@pytest.mark.anyio
async def test_stdio_server_killed_mid_session() -> None:
    before = server_processes()
    async with await guarded(McpConnection.stdio(MODULE)) as connection:
        check_result(await guarded(connection.call_tool(TOOL)))
        (pid,) = server_processes() - before
        server = psutil.Process(pid)  # one handle: the session may reap the process before we wait
        server.kill()
        server.wait(timeout=GUARD)  # returns at once if it is already gone

        started = time.monotonic()
        # Which message depends on a race: whether the session's reader saw the pipe close before this call
        with pytest.raises(
            McpConnectionError,
            match="the server went away during 'get_knowledge_base'|the session is closed .*Open a new connection",
        ):
            await guarded(connection.call_tool(TOOL))
        assert time.monotonic() - started < 5
        # the next call fails at once and says to open a new connection
        started = time.monotonic()
        with pytest.raises(McpConnectionError, match="the session is closed .*Open a new connection"):
            await guarded(connection.call_tool(TOOL))
        assert time.monotonic() - started < 5
        assert not connection.is_open
    assert not connection.is_open


# --- streamable HTTP and SSE --------------------------------------------------------------------


@pytest.mark.parametrize("transport", ["streamable-http", "sse"])
@pytest.mark.anyio
async def test_http_transports(shared_servers: dict[str, HttpServer], transport: str) -> None:
    server = shared_servers[transport]
    connection = await open_http(server)
    try:
        assert connection.is_open and connection.server_name == "knowledge-base"
        assert [t.name for t in await guarded(connection.list_tools())] == [TOOL]
        before = (await guarded(connection.stats()))["total"]
        check_result(await guarded(connection.call_tool(TOOL)))
        check_result(await guarded(asyncio.create_task(connection.call_tool(TOOL))))  # from another task too
        after = await guarded(connection.stats())
        assert after["total"] - before == 2
    finally:
        await guarded(asyncio.create_task(connection.close()))
    assert not connection.is_open
    assert server.process.poll() is None  # closing a client does not stop a shared server


@pytest.mark.parametrize("transport", ["streamable-http", "sse"])
@pytest.mark.anyio
async def test_http_server_killed_mid_session(tmp_path: Path, transport: str) -> None:
    servers = start_servers([transport], tmp_path)
    server = servers[transport]
    try:
        connection = await open_http(server)
        try:
            check_result(await guarded(connection.call_tool(TOOL)))
            server.kill()

            started = time.monotonic()
            with pytest.raises(McpConnectionError, match="the server went away during 'get_knowledge_base'"):
                await guarded(connection.call_tool(TOOL))
            elapsed = time.monotonic() - started
            assert elapsed < 5, f"a dead {transport} server took {elapsed:.1f} s to notice"
            with pytest.raises(McpConnectionError, match="the session is closed"):
                await guarded(connection.call_tool(TOOL))
        finally:
            await guarded(connection.close())
    finally:
        stop_servers(servers)


@pytest.mark.anyio
async def test_http_nobody_listening() -> None:
    started = time.monotonic()
    with pytest.raises(McpConnectionError, match="could not open the session"):
        await guarded(McpConnection.http(f"http://127.0.0.1:{free_port()}/mcp", timeout=GUARD))
    assert time.monotonic() - started < 5
