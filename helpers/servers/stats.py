"""Server-side call counting, so a notebook can prove the tool path was really taken.

Every workbook MCP server wraps its tools with a `CallCounter` and exposes the counts as the
MCP resource `workbook://stats`; a client reads them with `session.read_resource(STATS_URI)`.
"""

from __future__ import annotations

import functools
import inspect
import json
from collections import Counter
from collections.abc import Callable
from typing import Any

from mcp.server.fastmcp import FastMCP

from helpers.mcp_client.connection import STATS_URI


class CallCounter:
    """Counts tool calls by tool name, including calls that raised."""

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()

    def wrap(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        """Return `fn` counting each call; the signature is kept for FastMCP's schema."""
        if inspect.iscoroutinefunction(fn):

            @functools.wraps(fn)
            async def counted_async(*args: Any, **kwargs: Any) -> Any:
                self.calls[fn.__name__] += 1
                return await fn(*args, **kwargs)

            return counted_async

        @functools.wraps(fn)
        def counted(*args: Any, **kwargs: Any) -> Any:
            self.calls[fn.__name__] += 1
            return fn(*args, **kwargs)

        return counted

    def snapshot(self) -> dict[str, Any]:
        """Counts as a JSON-ready dict: per tool, and the total."""
        return {"tool_calls": dict(self.calls), "total": sum(self.calls.values())}


def expose_stats(mcp: FastMCP, counter: CallCounter) -> None:
    """Publish the counter as the `workbook://stats` resource of `mcp`."""

    @mcp.resource(STATS_URI, name="stats", mime_type="application/json")
    def stats() -> str:
        """Tool calls this server process has served, counted on the server side."""
        return json.dumps(counter.snapshot())
