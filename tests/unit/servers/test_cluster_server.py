"""The cluster-troubleshooting MCP server: in memory, as a stdio subprocess, and over streamable HTTP."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import anyio
import pytest
from mcp import ClientSession
from mcp.client.stdio import StdioServerParameters, stdio_client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.memory import create_connected_server_and_client_session

from helpers.mcp_client.connection import read_stats
from helpers.servers.cluster import SERVER_NAME, build_server
from helpers.servers.launch import start_server

SEED_ARGS = {"namespace": "default", "pod_name": "billing-service-v1-abcdef", "container_name": "istio-proxy"}
SEED_MEMORY = '{"usage": "1Gi", "request": "512Mi", "limit": "1Gi"}'
SEED_DESCRIPTIONS = {
    "get_kubernetes_pod_logs": "Retrieves logs from a specific pod in a Kubernetes cluster. Useful for debugging crashes or errors.",
    "get_kubernetes_pod_memory_data": "Retrieves the current memory usage, request, and limit of a specific pod in a Kubernetes cluster.",
    "get_kubernetes_pod_cpu_data": "Retrieves the current cpu usage, request, and limit of a specific pod in a Kubernetes cluster.",
    "run_postgres_query": "Executes a read-only SQL query against the PostgreSQL database.",
}
POD_PARAMETERS = {
    "namespace": "The Kubernetes namespace where the pod is located, e.g., '''default''', '''istio-system'''",
    "pod_name": "The full name of the pod, e.g., '''my-app-7f5dcf7f9c-2q9k8'''",
    "container_name": "The specific container within the pod to get logs from. Optional.",
}


def _server_env() -> dict[str, str]:
    """This environment, pinned to the offline data: snapshot cluster, SQLite billing database."""
    return {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "WORKBOOK_CLUSTER")}


async def check_session(session: ClientSession) -> None:
    """What every transport must show: the seed's tools, a seed result, and the server-side count."""
    assert session.get_server_capabilities() is not None
    tools = {tool.name: tool for tool in (await session.list_tools()).tools}
    assert {name: tool.description for name, tool in tools.items()} == SEED_DESCRIPTIONS
    for name in ("get_kubernetes_pod_logs", "get_kubernetes_pod_memory_data", "get_kubernetes_pod_cpu_data"):
        schema = tools[name].inputSchema
        assert schema["required"] == ["namespace", "pod_name"]
        assert {p: s["description"] for p, s in schema["properties"].items()} == POD_PARAMETERS
        assert all(s["type"] == "string" for s in schema["properties"].values())
    sql_schema = tools["run_postgres_query"].inputSchema
    assert sql_schema["required"] == ["sql_query"]
    assert sql_schema["properties"]["sql_query"]["description"] == "The SQL SELECT statement to execute."
    assert all(tool.annotations and tool.annotations.readOnlyHint for tool in tools.values())

    assert await read_stats(session) == {"tool_calls": {}, "total": 0}
    result = await session.call_tool("get_kubernetes_pod_memory_data", SEED_ARGS)
    assert not result.isError
    assert result.content[0].text == SEED_MEMORY  # the seed's tool message, byte for byte
    assert result.structuredContent == json.loads(SEED_MEMORY)

    refused = await session.call_tool("run_postgres_query", {"sql_query": "DELETE FROM payments"})
    assert refused.isError and "refused a write" in refused.content[0].text
    missing = await session.call_tool("get_kubernetes_pod_logs", {"namespace": "prod", "pod_name": "x"})
    assert missing.isError and "namespace 'prod' not found" in missing.content[0].text

    assert await read_stats(session) == {
        "tool_calls": {
            "get_kubernetes_pod_memory_data": 1,
            "run_postgres_query": 1,
            "get_kubernetes_pod_logs": 1,
        },
        "total": 3,
    }


def test_in_memory(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("WORKBOOK_CLUSTER", raising=False)
    server = build_server()
    assert server.name == SERVER_NAME

    async def main() -> None:
        async with create_connected_server_and_client_session(server) as session:
            await check_session(session)

    anyio.run(main)


def test_each_build_counts_on_its_own() -> None:
    async def main() -> None:
        async with create_connected_server_and_client_session(build_server()) as session:
            await session.call_tool("get_kubernetes_pod_cpu_data", SEED_ARGS)
        async with create_connected_server_and_client_session(build_server()) as session:
            assert (await read_stats(session))["total"] == 0

    anyio.run(main)


def test_stdio_subprocess(tmp_path: Path) -> None:
    # cwd is a stranger folder: the server must find its data from the package, not the cwd.
    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "helpers.servers.cluster", "--transport", "stdio"],
        env=_server_env(),
        cwd=tmp_path,
    )

    async def main() -> None:
        with anyio.fail_after(30), (tmp_path / "server.stderr").open("w") as errlog:
            async with stdio_client(params, errlog=errlog) as (read, write):
                async with ClientSession(read, write) as session:
                    await session.initialize()
                    await check_session(session)

    anyio.run(main)


@pytest.fixture
def http_server(tmp_path: Path) -> Iterator[str]:
    """`python -m helpers.servers.cluster --transport streamable-http` on a free port; stopped afterwards."""
    with start_server(
        "helpers.servers.cluster", env=_server_env(), inherit_env=False, cwd=tmp_path
    ) as server:
        yield server.url


def test_streamable_http_subprocess(http_server: str) -> None:
    async def main() -> None:
        with anyio.fail_after(30):
            async with streamable_http_client(http_server) as (read, write, _session_id):
                async with ClientSession(read, write) as session:
                    await session.initialize()
                    await check_session(session)

    anyio.run(main)
