"""One command line for every workbook MCP server: `--transport stdio|streamable-http|sse --port N`."""

from __future__ import annotations

import argparse

from mcp.server.fastmcp import FastMCP


def run(mcp: FastMCP, argv: list[str] | None = None) -> None:
    """Parse the standard options and serve `mcp` on the chosen transport."""
    parser = argparse.ArgumentParser(description=f"Serve the {mcp.name!r} MCP server.")
    parser.add_argument("--transport", choices=["stdio", "streamable-http", "sse"], default="stdio")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (HTTP transports)")
    parser.add_argument("--port", type=int, default=8000, help="port to bind (HTTP transports)")
    args = parser.parse_args(argv)
    mcp.settings.host = args.host
    mcp.settings.port = args.port
    mcp.settings.log_level = "WARNING"  # keep a notebook's stderr quiet
    mcp.run(transport=args.transport)
