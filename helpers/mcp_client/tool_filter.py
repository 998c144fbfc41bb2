"""Which MCP tools an agent may use: namespaces, `_filter._names` wildcards and name collisions.

Pure functions over the configs and the servers' tool lists; nothing here opens a connection.

Collision policy: a tool name offered by exactly one selected server (and not by one of the agent's
own `_tools`) is exposed unchanged. When the same name is selected from two or more servers, *every*
copy is exposed as `<userType>__<tool>`, so no server silently wins; `Selection.tools` maps each
exposed name back to (server userType, original tool name) for routing the call.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from fnmatch import fnmatchcase

from helpers.errors import NamespaceDeniedError, UnknownServerError
from helpers.mcp_client.config import AgentConfig, ExternalMCPServerConfig

SEPARATOR = "__"
# OpenAI's rule for function names; every exposed name must pass it.
_TOOL_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


@dataclass(frozen=True)
class SelectedTool:
    """One tool the agent may call: the name the model sees, and where the call really goes."""

    exposed_name: str
    server: str
    tool: str


@dataclass(frozen=True)
class Selection:
    """The result of `select_tools`."""

    tools: dict[str, SelectedTool] = field(default_factory=dict)
    unmatched_patterns: dict[str, list[str]] = field(default_factory=dict)

    @property
    def names(self) -> list[str]:
        """Exposed tool names, in selection order."""
        return list(self.tools)

    def route(self, exposed_name: str) -> tuple[str, str]:
        """(server userType, original tool name) for a name the model called."""
        try:
            chosen = self.tools[exposed_name]
        except KeyError:
            raise LookupError(f"the model called {exposed_name!r}, which is not among {self.names}") from None
        return chosen.server, chosen.tool

    def by_server(self) -> dict[str, list[str]]:
        """Original tool names per server, for `session.list_tools` filtering."""
        out: dict[str, list[str]] = {}
        for chosen in self.tools.values():
            out.setdefault(chosen.server, []).append(chosen.tool)
        return out


def matches(name: str, pattern: str) -> bool:
    """True when `name` equals `pattern` or matches it as a shell-style wildcard (case-sensitive)."""
    return name == pattern or fnmatchcase(name, pattern)


def check_namespace(agent: AgentConfig, server: ExternalMCPServerConfig) -> None:
    """Raise NamespaceDeniedError unless the agent and server share a namespace."""
    if not set(agent.namespaces) & set(server.namespaces):
        raise NamespaceDeniedError(
            f"agent {agent.user_type!r} (namespaces {agent.namespaces}) may not use server "
            f"{server.user_type!r} (namespaces {server.namespaces}): they share no namespace. Fix: add "
            f"one of the agent's namespaces to the server's `_namespaces`, or reference another server"
        )


def select_tools(
    available: Mapping[str, Iterable[str]],
    agent: AgentConfig,
    servers: Mapping[str, ExternalMCPServerConfig],
    local_tools: Iterable[str] = (),
) -> Selection:
    """Choose the MCP tools `agent` may call, following its `_externalMcpServers` references.

    Args:
        available: tool names each connected server offers, keyed by the server's `_userType`.
        agent: the agent configuration.
        servers: the ExternalMCPServerConfig documents, keyed by `_userType`.
        local_tools: the agent's own tool names (e.g. `agent.tools`); an MCP tool with the same
            name is exposed with its server prefix so the local one keeps its name.

    Returns:
        The selection: exposed name -> (server, tool), and patterns that matched nothing.

    Raises:
        UnknownServerError: a reference names no configured server, or a server with no tool list.
        NamespaceDeniedError: a referenced server shares no namespace with the agent.
    """
    picked: list[tuple[str, str]] = []
    unmatched: dict[str, list[str]] = {}
    for ref in agent.external_mcp_servers:
        server = servers.get(ref.user_type)
        if server is None:
            raise UnknownServerError(
                f"agent {agent.user_type!r} references server {ref.user_type!r}, but the configured "
                f"servers are {sorted(servers)}. Fix: correct `_externalMcpServers[]._userType` or add that server"
            )
        if server.user_type != ref.user_type:
            raise ValueError(
                f"servers[{ref.user_type!r}] holds the config of {server.user_type!r}; key it by its `_userType`"
            )
        check_namespace(agent, server)
        if ref.user_type not in available:
            raise UnknownServerError(
                f"no tool list for server {ref.user_type!r}; tool lists were given for {sorted(available)}. "
                "Fix: connect to it and pass its `list_tools` names"
            )
        offered = list(available[ref.user_type])
        patterns = ref.filter.names if ref.filter else None
        chosen = [t for t in offered if patterns is None or any(matches(t, p) for p in patterns)]
        missed = [p for p in patterns or [] if not any(matches(t, p) for t in offered)]
        if missed:
            unmatched[ref.user_type] = missed
        picked.extend((ref.user_type, t) for t in chosen)
    return Selection(tools=_expose(picked, set(local_tools)), unmatched_patterns=unmatched)


def _expose(picked: list[tuple[str, str]], reserved: set[str]) -> dict[str, SelectedTool]:
    """Apply the collision policy of the module docstring."""
    counts = Counter(tool for _, tool in picked)
    out: dict[str, SelectedTool] = {}
    for server, tool in picked:
        clash = counts[tool] > 1 or tool in reserved
        name = f"{server}{SEPARATOR}{tool}" if clash else tool
        if name in out or name in reserved:
            raise ValueError(f"two tools would both be exposed as {name!r}; rename the server's `_userType`")
        if not _TOOL_NAME.match(name):
            raise ValueError(
                f"exposed tool name {name!r} breaks the model API's rule ^[A-Za-z0-9_-]{{1,64}}$; "
                "shorten the server's `_userType` or filter the tool out"
            )
        out[name] = SelectedTool(exposed_name=name, server=server, tool=tool)
    return out
