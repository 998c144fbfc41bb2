"""What one MCP tool call costs through the helpers, the raw SDK session, and Autogen's adapter.

Same server module (the cluster server), same tool, measured interleaved in one run:
- stdio: `McpConnection.call_tool` vs a raw `mcp.ClientSession.call_tool`, each on its own
  server process;
- streamable HTTP (one server process): `McpConnection.call_tool` vs a raw `ClientSession` vs
  Autogen's `StreamableHttpMcpToolAdapter.run_json`, which opens a new session for every call.
Prints a table, then one JSON line: {"stdio_ratio", "http_ratio" (helpers / raw; target <= 1.10),
"adapter_speedup" (adapter / helpers; target >= 8), and the medians in ms}.

    .venv/bin/python benchmarks/tool_call_overhead.py [--calls 200] [--adapter-calls 40]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from typing import Any

from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.client.streamable_http import streamable_http_client

from helpers.mcp_client.connection import McpConnection
from helpers.servers.launch import start_server

MODULE = "helpers.servers.cluster"
TOOL = "get_kubernetes_pod_cpu_data"
ARGUMENTS = {"namespace": "default", "pod_name": "billing-service-v1-abcdef", "container_name": "istio-proxy"}


async def measure(callers: dict[str, Callable[[], Awaitable[Any]]], rounds: int, every: dict[str, int]) -> dict:
    """Median ms per caller; round r calls each caller whose `every` divides r, so they interleave."""
    times: dict[str, list[float]] = {label: [] for label in callers}
    for fn in callers.values():  # warm-up
        for _ in range(3):
            await fn()
    for r in range(rounds):
        for label, fn in callers.items():
            if r % every.get(label, 1):
                continue
            started = time.perf_counter()
            await fn()
            times[label].append((time.perf_counter() - started) * 1000)
    return {label: (statistics.median(v), len(v)) for label, v in times.items()}


async def main(calls: int, adapter_calls: int) -> dict:
    from autogen_core import CancellationToken
    from autogen_ext.tools.mcp import StreamableHttpMcpToolAdapter, StreamableHttpServerParams

    results: dict[str, tuple[float, int]] = {}
    async with AsyncExitStack() as stack:
        # stdio: two server processes of the same module, one per client
        params = StdioServerParameters(command=sys.executable, args=["-m", MODULE], env=dict(os.environ))
        errlog = stack.enter_context(tempfile.TemporaryFile("w+"))
        read, write = await stack.enter_async_context(stdio_client(params, errlog=errlog))
        raw_stdio = await stack.enter_async_context(ClientSession(read, write))
        await raw_stdio.initialize()
        helper_stdio = await stack.enter_async_context(await McpConnection.stdio(MODULE))
        stdio = await measure({"stdio McpConnection": lambda: helper_stdio.call_tool(TOOL, ARGUMENTS),
                               "stdio raw ClientSession": lambda: raw_stdio.call_tool(TOOL, ARGUMENTS)}, calls, {})
        results.update(stdio)

        # streamable HTTP: one server process, three clients
        server = stack.enter_context(await asyncio.to_thread(start_server, MODULE, "streamable-http"))
        helper_http = await stack.enter_async_context(await McpConnection.http(server.url))
        read, write, _ = await stack.enter_async_context(streamable_http_client(server.url))
        raw_http = await stack.enter_async_context(ClientSession(read, write))
        await raw_http.initialize()
        adapter = await StreamableHttpMcpToolAdapter.from_server_params(
            StreamableHttpServerParams(url=server.url, timeout=30.0), TOOL)
        token = CancellationToken()
        every = max(1, calls // adapter_calls)
        http = await measure({"http McpConnection": lambda: helper_http.call_tool(TOOL, ARGUMENTS),
                              "http raw ClientSession": lambda: raw_http.call_tool(TOOL, ARGUMENTS),
                              "http Autogen adapter (session per call)": lambda: adapter.run_json(ARGUMENTS, token)},
                             calls, {"http Autogen adapter (session per call)": every})
        results.update(http)

    median = {label: value[0] for label, value in results.items()}
    figures = {
        "stdio_ratio": round(median["stdio McpConnection"] / median["stdio raw ClientSession"], 3),
        "http_ratio": round(median["http McpConnection"] / median["http raw ClientSession"], 3),
        "adapter_speedup": round(median["http Autogen adapter (session per call)"] / median["http McpConnection"], 1),
        "median_ms": {label: round(value, 3) for label, value in median.items()},
    }
    print(f"One call of {TOOL} on {MODULE}, median of interleaved calls")
    print(f"{'client':42} {'calls':>6} {'median ms':>10}")
    for label, (value, count) in results.items():
        print(f"{label:42} {count:6d} {value:10.3f}")
    print(f"helpers / raw: stdio {figures['stdio_ratio']} (target <= 1.10), http {figures['http_ratio']} "
          f"(target <= 1.10); adapter / helpers: {figures['adapter_speedup']} (target >= 8)")
    return figures


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--adapter-calls", type=int, default=40)
    options = parser.parse_args()
    print(json.dumps(asyncio.run(main(options.calls, options.adapter_calls))))
