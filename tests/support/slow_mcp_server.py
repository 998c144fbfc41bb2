"""A tiny MCP server with a tool that takes as long as it is told, for timeout tests (stdio only).

python -m tests.support.slow_mcp_server      (with the project root on PYTHONPATH)
"""

from __future__ import annotations

import anyio
from mcp.server.fastmcp import FastMCP

mcp = FastMCP("slow-server")


@mcp.tool()
async def nap(seconds: float) -> str:
    """Sleep `seconds`, then say so."""
    await anyio.sleep(seconds)
    return f"slept {seconds:g} s"


if __name__ == "__main__":
    mcp.settings.log_level = "WARNING"
    mcp.run(transport="stdio")
