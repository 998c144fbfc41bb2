"""The reference Time MCP server (`mcp-server-time`, stdio) served over streamable HTTP on 127.0.0.1.

`mcp-proxy` spawns `mcp-server-time` as its child and serves it on an internal port. A small front,
`helpers.servers.auth_gate`, owns the public port, `http://127.0.0.1:<port>/mcp` (what seed 000
reaches at `https://mcp.example.com/mcp`), and forwards to mcp-proxy. It counts every `tools/call`
it forwards, by tool name (`TimeServer.stats()`): neither mcp-proxy nor the reference server counts
anything, and a count on the server's side of the wire is the proof that a tool call reached it. With a
bearer token the same front also checks `Authorization`, because mcp-proxy 0.13.0 has no
server-side authentication option. The front costs a few tenths of a second of startup, in parallel
with mcp-proxy's own (seconds).
"""

from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import httpx
import psutil
from mcp.types import LATEST_PROTOCOL_VERSION

from helpers.errors import ServerStartError
from helpers.ports import free_port, wait_for_port
from helpers.servers.auth_gate import STATS_PATH, TOKEN_ENV
from helpers.servers.launch import StopsOnExit, log_tail, poll_http, spawn, stop_processes

_RUNNING: set[TimeServer] = set()
_ATEXIT_REGISTERED = False
_PROBE_INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 0,
    "method": "initialize",
    "params": {
        "protocolVersion": LATEST_PROTOCOL_VERSION,  # the SDK's revision (2025-11-25 with mcp 1.x)
        "capabilities": {},
        "clientInfo": {"name": "workbook-readiness-probe", "version": "0"},
    },
}


def _venv_executable(name: str) -> str:
    """Find a console script installed next to this interpreter (the venv), else on PATH."""
    # Path(sys.executable).parent, not .resolve(): the venv's python is a symlink to the system one.
    candidate = Path(sys.executable).parent / name
    if candidate.exists():
        return str(candidate)
    found = shutil.which(name)
    if found is None:
        raise FileNotFoundError(
            f"{name!r} is not installed next to {sys.executable} nor on PATH; "
            "install the workbook requirements into this environment: pip install -r requirements.txt"
        )
    return found


class TimeServer(StopsOnExit):
    """A running Time MCP server; stop it with `.stop()` or by using it as a context manager."""

    def __init__(
        self,
        *,
        port: int,
        log_dir: Path,
        procs: list[subprocess.Popen[bytes]],
        bearer_token: str | None,
        local_timezone: str,
    ) -> None:
        self.port = port
        self.url = f"http://127.0.0.1:{port}/mcp"
        self.stats_url = f"http://127.0.0.1:{port}{STATS_PATH}"
        self.log_dir = log_dir
        self.local_timezone = local_timezone
        self._procs = procs
        self._bearer_token = bearer_token

    @property
    def requires_auth(self) -> bool:
        """True when clients must send `Authorization: Bearer <token>`."""
        return self._bearer_token is not None

    @property
    def headers(self) -> dict[str, str]:
        """HTTP headers a client needs (the Authorization header when a token is set)."""
        return {"Authorization": f"Bearer {self._bearer_token}"} if self._bearer_token else {}

    def process_ids(self) -> list[int]:
        """Return the pids of every process this server runs (mcp-proxy, its child, the gate)."""
        pids: list[int] = []
        for proc in self._procs:
            with contextlib.suppress(psutil.NoSuchProcess):
                p = psutil.Process(proc.pid)
                pids += [p.pid, *(c.pid for c in p.children(recursive=True))]
        return pids

    def stats(self) -> dict[str, Any]:
        """Tool calls the server was asked for, counted by its front: `{"tool_calls": {name: n}, "total": n}`.

        Every JSON-RPC `tools/call` request that reached the server since it started counts, whoever
        sent it (an agent, a notebook cell, a test), including calls the tool answered with an error.
        """
        reply = httpx.get(self.stats_url, headers=self.headers, timeout=5.0)
        reply.raise_for_status()
        return reply.json()

    def is_running(self) -> bool:
        """True while every process started for this server is still alive."""
        return bool(self._procs) and all(proc.poll() is None for proc in self._procs)

    def logs(self, lines: int = 30) -> str:
        """Return the tail of each log file, for troubleshooting cells."""
        return "\n".join(
            f"--- {p.name} ---\n{log_tail(p, lines)}" for p in sorted(self.log_dir.glob("*.log"))
        )

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the whole process tree (idempotent); kill what has not exited after `timeout` s."""
        stop_processes(self._procs, timeout)
        self._procs = []
        _RUNNING.discard(self)

    def __repr__(self) -> str:
        # Never the token itself: reprs end up in notebook outputs and logs.
        state = "running" if self.is_running() else "stopped"
        auth = "bearer token required" if self.requires_auth else "no auth"
        return f"TimeServer(url={self.url!r}, {auth}, local_timezone={self.local_timezone!r}, {state})"


def _stop_all() -> None:
    """Stop every server still running when the interpreter exits."""
    for server in list(_RUNNING):
        server.stop()


def _probe(url: str, headers: dict[str, str], deadline: float, alive: Callable[[], bool]) -> None:
    """Send one MCP `initialize` over HTTP until it succeeds, then end the session it opened."""
    reply = poll_http(
        lambda: httpx.post(
            url,
            json=_PROBE_INITIALIZE,
            timeout=5.0,
            headers={**headers, "Accept": "application/json, text/event-stream"},
        ),
        lambda reply: reply.status_code == 200 and '"serverInfo"' in reply.text,
        deadline=deadline,
        alive=alive,
        what=f"MCP initialize at {url} answered",
    )
    if session := reply.headers.get("mcp-session-id"):
        httpx.delete(url, headers={**headers, "mcp-session-id": session}, timeout=5.0)


def start_time_server(
    *, bearer_token: str | None = None, local_timezone: str = "UTC", startup_timeout: float = 20
) -> TimeServer:
    """Start `mcp-server-time` behind `mcp-proxy` on a free loopback port and wait until it answers MCP.

    Args:
        bearer_token: when set, requests without `Authorization: Bearer <token>` get 401 (the
            tool-call counts at `stats()` too).
        local_timezone: IANA name passed as `--local-timezone` (the server's idea of "local").
        startup_timeout: seconds to wait for the port and a successful MCP `initialize`.

    Returns:
        The running server; its `.url` ends in `/mcp`, and `.stats()` counts the tool calls it served.

    Raises:
        ValueError: `bearer_token` is an empty string or `local_timezone` is not an IANA name.
        ServerStartError: a process exited or the server did not answer in time (the log tail is included).
    """
    global _ATEXIT_REGISTERED
    if bearer_token is not None and not bearer_token.strip():
        raise ValueError("bearer_token is empty; pass None for no auth or a non-empty token")
    # A re-run cell gets the server it already started; a changed token or zone replaces it.
    for running in list(_RUNNING):
        if running.requires_auth == (bearer_token is not None):
            if (
                running.is_running()
                and running._bearer_token == bearer_token
                and running.local_timezone == local_timezone
            ):
                return running
            running.stop()
    try:
        ZoneInfo(local_timezone)  # fail here, not as a traceback deep in the proxy's log
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(
            f"local_timezone {local_timezone!r} is not an IANA time zone name; "
            "use one like 'UTC' or 'Europe/Paris'"
        ) from exc
    log_dir = Path(tempfile.mkdtemp(prefix="time-mcp-"))
    proxy_port, public_port = free_port(), free_port()
    # --pass-environment: the child inherits PYTHONPATH and the tests' loopback guard settings.
    proxy_cmd = [
        _venv_executable("mcp-proxy"),
        "--host",
        "127.0.0.1",
        "--port",
        str(proxy_port),
        "--pass-environment",
        "--",
        _venv_executable("mcp-server-time"),
        "--local-timezone",
        local_timezone,
    ]
    env = {k: v for k, v in os.environ.items() if k != TOKEN_ENV}
    procs = [spawn(proxy_cmd, log_dir / "mcp-proxy.log", env)]
    # The front always stands before mcp-proxy: it counts tool calls, and checks the token when there is one.
    gate_cmd = [
        sys.executable,
        "-m",
        "helpers.servers.auth_gate",
        "--port",
        str(public_port),
        "--upstream",
        f"http://127.0.0.1:{proxy_port}",
    ]
    gate_env = {**env, TOKEN_ENV: bearer_token} if bearer_token else env
    procs.append(
        spawn([*gate_cmd, *([] if bearer_token else ["--open"])], log_dir / "auth-gate.log", gate_env)
    )
    server = TimeServer(
        port=public_port,
        log_dir=log_dir,
        procs=procs,
        bearer_token=bearer_token,
        local_timezone=local_timezone,
    )
    _RUNNING.add(server)
    if not _ATEXIT_REGISTERED:
        atexit.register(_stop_all)
        _ATEXIT_REGISTERED = True

    deadline = time.monotonic() + startup_timeout
    try:
        for port in (proxy_port, public_port):
            wait_for_port(port, timeout=max(deadline - time.monotonic(), 0.1), alive=server.is_running)
        _probe(server.url, server.headers, deadline, server.is_running)
    except (TimeoutError, OSError) as exc:
        logs = server.logs()
        server.stop()
        raise ServerStartError(
            f"the Time MCP server did not become ready within {startup_timeout:.0f} s ({exc}). "
            "Check that mcp-proxy and mcp-server-time are installed in this environment, or raise "
            f"startup_timeout on a slow machine. Log tail:\n{logs}"
        ) from exc
    return server
