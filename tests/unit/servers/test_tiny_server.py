"""The tiny MCP server of notebook 00's pitfalls: its two tools, and each flag misbehaving as documented."""

from __future__ import annotations

import ast
import asyncio
import contextlib
import json
import os
import sys
from dataclasses import dataclass
from typing import Any

import pytest
from mcp.shared.memory import create_connected_server_and_client_session

from helpers.servers import tiny
from helpers.settings import PROJECT_ROOT

TINY_SCRIPT = PROJECT_ROOT / "helpers" / "servers" / "tiny.py"
MODULE = [sys.executable, "-m", "helpers.servers.tiny"]
INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {
        "protocolVersion": "2025-11-25",
        "capabilities": {},
        "clientInfo": {"name": "test", "version": "0"},
    },
}
INITIALIZED = {"jsonrpc": "2.0", "method": "notifications/initialized"}
ADD = {
    "jsonrpc": "2.0",
    "id": 2,
    "method": "tools/call",
    "params": {"name": "add", "arguments": {"a": 2, "b": 3}},
}
ECHO = {
    "jsonrpc": "2.0",
    "id": 3,
    "method": "tools/call",
    "params": {"name": "echo", "arguments": {"text": "hi"}},
}
SESSION = [INITIALIZE, INITIALIZED, ADD, ECHO]


@dataclass
class Exchange:
    """What the server wrote: its stdout lines (JSON-RPC, or not), its stderr, its exit code."""

    stdout: list[str]
    stderr: str
    returncode: int


async def _exchange(command: list[str], messages: list[dict[str, Any]]) -> Exchange:
    """Send `messages` one by one as a client does, reading a stdout line after each request (30 s at most)."""
    process = await asyncio.create_subprocess_exec(
        *command,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        cwd=PROJECT_ROOT,
    )
    assert process.stdin and process.stdout and process.stderr
    lines: list[str] = []
    try:
        async with asyncio.timeout(30):
            for message in messages:
                try:
                    process.stdin.write((json.dumps(message) + "\n").encode())
                    await process.stdin.drain()
                except (BrokenPipeError, ConnectionResetError):
                    break  # the server is gone
                if "id" in message:  # a request: wait for its reply before sending anything else
                    line = await process.stdout.readline()
                    if not line:
                        break  # the server is gone
                    lines.append(line.decode().rstrip("\n"))
    finally:
        with contextlib.suppress(OSError):
            process.stdin.close()  # end of input: a stdio server exits
        try:
            async with asyncio.timeout(15):
                stderr = (await process.stderr.read()).decode()
                await process.wait()
        finally:
            if process.returncode is None:
                process.kill()
                await process.wait()
    return Exchange(lines, stderr, process.returncode)


def exchange(command: list[str], messages: list[dict[str, Any]] = SESSION) -> Exchange:
    return asyncio.run(_exchange(command, messages))


def test_the_server_module_imports_nothing_from_helpers() -> None:
    # Pitfall 4 runs it as a plain script with another interpreter: its only import outside the stdlib is mcp.
    tree = ast.parse(TINY_SCRIPT.read_text())
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    imported |= {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert not [name for name in imported if name.startswith("helpers")], imported
    assert "mcp.server.fastmcp" in imported


def test_tools_in_memory() -> None:
    async def go() -> tuple[list[str], Any, Any]:
        async with create_connected_server_and_client_session(tiny.build_server()) as session:
            tools = sorted(t.name for t in (await session.list_tools()).tools)
            added = await session.call_tool("add", {"a": 2, "b": 3})
            echoed = await session.call_tool("echo", {"text": "hi"})
            return tools, added.structuredContent, echoed.structuredContent

    assert asyncio.run(go()) == (["add", "echo"], {"result": 5}, {"result": "hi"})


def test_well_behaved_stdout_is_only_json_rpc_and_logs_go_to_stderr() -> None:
    run = exchange(MODULE)
    replies = [json.loads(line) for line in run.stdout]
    assert [r["id"] for r in replies] == [1, 2, 3]
    assert replies[0]["result"]["protocolVersion"] == "2025-11-25"
    assert replies[0]["result"]["serverInfo"]["name"] == "tiny"
    assert replies[1]["result"]["structuredContent"] == {"result": 5}
    assert replies[2]["result"]["structuredContent"] == {"result": "hi"}
    assert run.returncode == 0  # stdin closed: the server ends cleanly
    assert "tiny server: starting (pid" in run.stderr
    assert "tiny server: add(2, 3) = 5" in run.stderr and "tiny server: echo('hi')" in run.stderr


def test_print_to_stdout_glues_progress_text_to_the_reply() -> None:
    run = exchange([*MODULE, "--print-to-stdout"])
    assert json.loads(run.stdout[0])["id"] == 1  # the handshake is untouched
    prefix = "adding 2 and 3... "
    assert run.stdout[1].startswith(prefix), run.stdout[1]
    with pytest.raises(json.JSONDecodeError):
        json.loads(run.stdout[1])  # the line a client reads is not JSON ...
    hidden_reply = json.loads(run.stdout[1][len(prefix) :])  # ... it hides the reply
    assert hidden_reply["result"]["structuredContent"] == {"result": 5}
    assert json.loads(run.stdout[2])["result"]["structuredContent"] == {"result": "hi"}  # echo does not print


def test_crash_on_start_writes_its_traceback_to_stderr_and_nothing_to_stdout() -> None:
    run = exchange([*MODULE, "--crash-on-start"])
    assert run.stdout == []
    assert run.returncode == 1
    assert run.stderr.strip().splitlines()[-1] == f"RuntimeError: {tiny.CRASH_MESSAGE}"
    assert "Traceback (most recent call last)" in run.stderr


def test_runs_as_a_plain_script() -> None:
    run = exchange([sys.executable, str(TINY_SCRIPT)], [INITIALIZE])
    assert json.loads(run.stdout[0])["result"]["serverInfo"]["name"] == "tiny"


def test_an_interpreter_without_mcp_fails_on_the_first_import() -> None:
    # How notebook 00 builds "another python" when the machine has none: the base interpreter, no site-packages.
    run = exchange([os.path.realpath(sys.executable), "-I", "-S", str(TINY_SCRIPT)], [INITIALIZE])
    assert run.stdout == []
    assert run.returncode == 1
    assert run.stderr.strip().splitlines()[-1] == "ModuleNotFoundError: No module named 'mcp'"


def test_unknown_flag_is_refused() -> None:
    with pytest.raises(SystemExit) as exited:
        tiny.main(["--no-such-flag"])
    assert exited.value.code == 2
