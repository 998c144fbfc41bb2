"""The "cluster-troubleshooting" MCP server of notebooks 01-02: seed 002's four tools over MCP.

Run it with `python -m helpers.servers.cluster --transport stdio|streamable-http --port N`.
Each tool answers with the compact JSON text the seed shows (`{"usage": "1Gi", ...}`), plus the
same dict as structured content; calls are counted in the resource `workbook://stats`.
"""

from __future__ import annotations

import functools
import inspect
import json
from collections.abc import Callable
from typing import Any

from mcp.server.fastmcp import FastMCP
from mcp.types import CallToolResult, TextContent, ToolAnnotations

from helpers.scenarios.cluster import (
    get_kubernetes_pod_cpu_data,
    get_kubernetes_pod_logs,
    get_kubernetes_pod_memory_data,
)
from helpers.scenarios.sql import run_postgres_query
from helpers.servers.cli import run
from helpers.servers.stats import CallCounter, expose_stats

SERVER_NAME = "cluster-troubleshooting"
TOOLS: tuple[Callable[..., dict[str, Any]], ...] = (
    get_kubernetes_pod_logs,
    get_kubernetes_pod_memory_data,
    get_kubernetes_pod_cpu_data,
    run_postgres_query,
)


def description(fn: Callable[..., Any]) -> str:
    """A tool's description: the first paragraph of its docstring (the seed's sentence)."""
    return inspect.cleandoc(fn.__doc__ or "").split("\n\n", 1)[0].replace("\n", " ")


def as_seed_json(fn: Callable[..., dict[str, Any]]) -> Callable[..., CallToolResult]:
    """Wrap a dict-returning tool so its text content is `json.dumps(result)`, as in the seed.

    FastMCP would otherwise pretty-print the dict with indent=2; the seed's tool messages carry
    the compact form, and the stand-in's cassette compares them byte for byte.
    """

    @functools.wraps(fn)
    def tool(*args: Any, **kwargs: Any) -> CallToolResult:
        result = fn(*args, **kwargs)
        return CallToolResult(
            content=[TextContent(type="text", text=json.dumps(result))], structuredContent=result
        )

    # FastMCP builds the input schema from this signature: the parameters stay fn's own.
    tool.__signature__ = inspect.signature(fn, eval_str=True).replace(return_annotation=CallToolResult)  # type: ignore[attr-defined]
    return tool


def build_server() -> FastMCP:
    """A fresh FastMCP server with the four tools, counted, and the `workbook://stats` resource."""
    mcp = FastMCP(
        SERVER_NAME,
        instructions="Troubleshoot Kubernetes pods (logs, memory, CPU) and query the billing database read-only.",
    )
    counter = CallCounter()
    for fn in TOOLS:
        mcp.add_tool(
            counter.wrap(as_seed_json(fn)),
            name=fn.__name__,
            description=description(fn),
            annotations=ToolAnnotations(readOnlyHint=True, idempotentHint=True),
        )
    expose_stats(mcp, counter)
    return mcp


if __name__ == "__main__":
    run(build_server())
