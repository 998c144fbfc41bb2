"""The reference Time MCP server behind mcp-proxy: a real MCP session, the bearer gate, a clean stop."""

from __future__ import annotations

import asyncio
import json
import time
import warnings
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import psutil
import pytest
from mcp import ClientSession
from mcp.client.streamable_http import streamablehttp_client

from helpers.servers.time import start_time_server

INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {
        "protocolVersion": "2025-06-18",
        "capabilities": {},
        "clientInfo": {"name": "test", "version": "0"},
    },
}
ACCEPT = {"Accept": "application/json, text/event-stream"}


async def _session_calls(url: str, headers: dict[str, str] | None = None) -> dict[str, Any]:
    """Open an MCP session the way Autogen does, list the tools and call both of them."""
    with warnings.catch_warnings():
        # streamablehttp_client is deprecated in mcp 1.30 but it is what autogen-ext 0.7.5 calls.
        warnings.simplefilter("ignore", DeprecationWarning)
        client = streamablehttp_client(url, headers=headers, timeout=10)
    async with client as (read, write, _get_session_id), ClientSession(read, write) as session:
        init = await session.initialize()
        tools = await session.list_tools()
        now = await session.call_tool("get_current_time", {"timezone": "Europe/Paris"})
        converted = await session.call_tool(
            "convert_time",
            {"source_timezone": "America/New_York", "time": "09:30", "target_timezone": "Asia/Tokyo"},
        )
    return {
        "server": init.serverInfo.name,
        "tools": sorted(t.name for t in tools.tools),
        "now": json.loads(now.content[0].text),
        "converted": json.loads(converted.content[0].text),
    }


def _check_calls(result: dict[str, Any]) -> None:
    """Assert on what the reference server returned."""
    assert result["server"] == "mcp-time"
    assert {"get_current_time", "convert_time"} <= set(result["tools"])

    now = result["now"]
    assert now["timezone"] == "Europe/Paris"
    stamp = datetime.fromisoformat(now["datetime"])
    assert abs(stamp - datetime.now(UTC)) < timedelta(minutes=1)
    assert stamp.utcoffset() == datetime.now(ZoneInfo("Europe/Paris")).utcoffset()

    # 09:30 New York is 22:30 Tokyo only while New York is on daylight time (seed 000 assumes it).
    today = datetime.now(ZoneInfo("America/New_York")).date()
    expected = datetime(today.year, today.month, today.day, 9, 30, tzinfo=ZoneInfo("America/New_York"))
    target = datetime.fromisoformat(result["converted"]["target"]["datetime"])
    assert target == expected and target.utcoffset() == timedelta(hours=9)


def _gone(pids: list[int]) -> bool:
    """True when none of the pids is a live process (a zombie counts as gone: it runs nothing)."""
    for pid in pids:
        try:
            if psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
                return False
        except psutil.NoSuchProcess:
            pass
    return True


def test_time_server_mcp_session_and_clean_stop() -> None:
    started = time.monotonic()
    with start_time_server(local_timezone="UTC") as server:
        startup = time.monotonic() - started
        pids = server.process_ids()
        assert len(pids) >= 2, f"expected mcp-proxy and its mcp-server-time child, got {pids}"
        assert server.url == f"http://127.0.0.1:{server.port}/mcp"
        _check_calls(asyncio.run(_session_calls(server.url)))
    print(f"time server ready in {startup:.2f} s")
    assert _gone(pids), f"processes left after stop: {pids}"
    assert not server.is_running()
    server.stop()  # idempotent


def test_bearer_token_gate() -> None:
    token = "s3cret-test-token"
    with start_time_server(bearer_token=token) as server:
        pids = server.process_ids()
        assert len(pids) >= 3, f"expected the gate, mcp-proxy and mcp-server-time, got {pids}"
        assert token not in repr(server) and token not in str(server)

        missing = httpx.post(server.url, json=INITIALIZE, headers=ACCEPT, timeout=10)
        assert missing.status_code == 401
        assert missing.headers["www-authenticate"].startswith("Bearer")
        assert missing.json()["error"] == "invalid_request"

        wrong = httpx.post(
            server.url,
            json=INITIALIZE,
            timeout=10,
            headers={**ACCEPT, "Authorization": "Bearer not-the-token"},
        )
        assert wrong.status_code == 401 and wrong.json()["error"] == "invalid_token"

        right = httpx.post(
            server.url, json=INITIALIZE, timeout=10, headers={**ACCEPT, "Authorization": f"Bearer {token}"}
        )
        assert right.status_code == 200
        session_id = right.headers["mcp-session-id"]  # the gate passes the session header through
        httpx.delete(
            server.url, timeout=10, headers={"Authorization": f"Bearer {token}", "mcp-session-id": session_id}
        )

        _check_calls(asyncio.run(_session_calls(server.url, headers=server.headers)))
    assert _gone(pids), f"processes left after stop: {pids}"


def test_rejects_bad_arguments_before_starting_anything() -> None:
    with pytest.raises(ValueError, match="IANA"):
        start_time_server(local_timezone="Mars/Olympus_Mons")
    with pytest.raises(ValueError, match="empty"):
        start_time_server(bearer_token="")
