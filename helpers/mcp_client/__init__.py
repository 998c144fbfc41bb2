"""MCP client side: connections that survive notebook cells, server configs, tool filters, the secret store.

Nothing here imports helpers.servers: a client knows servers only by their address or command.
"""

from helpers.mcp_client.config import AgentConfig, ExternalMCPServerConfig, load_mcp_servers_json
from helpers.mcp_client.connection import STATS_URI, McpConnection, read_stats
from helpers.mcp_client.secrets import SecretStore, resolve_secret
from helpers.mcp_client.tool_filter import SelectedTool, Selection, matches, select_tools

__all__ = [
    "STATS_URI",
    "AgentConfig",
    "ExternalMCPServerConfig",
    "McpConnection",
    "SecretStore",
    "SelectedTool",
    "Selection",
    "load_mcp_servers_json",
    "matches",
    "read_stats",
    "resolve_secret",
    "select_tools",
]
