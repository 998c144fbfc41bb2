"""The reference Time MCP server behind mcp-proxy: a real MCP session, the counting front, the bearer gate, a clean stop."""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
import warnings
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import psutil
import pytest
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.client.streamable_http import streamablehttp_client

from helpers.servers.auth_gate import ToolCallCounter
from helpers.servers.time import start_time_server
from tests.support.autogen import unknown_model_info
from tests.support.mcp_wire import ACCEPT, INITIALIZE


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


NEW_YORK, TOKYO = ZoneInfo("America/New_York"), ZoneInfo("Asia/Tokyo")


def _expected_conversion(source_datetime: str) -> dict[str, Any]:
    """What convert_time(New York 09:30 -> Tokyo) must return for the date in the server's own `source.datetime`."""
    day = datetime.fromisoformat(source_datetime).date()
    source = datetime(day.year, day.month, day.day, 9, 30, tzinfo=NEW_YORK)
    target = source.astimezone(TOKYO)
    hours = (target.utcoffset() - source.utcoffset()).total_seconds() / 3600
    return {
        "source": {"datetime": source.isoformat(), "is_dst": bool(source.dst())},
        "target": {"datetime": target.isoformat(), "is_dst": False},
        "time_difference": f"{hours:+.1f}h",
    }


def _check_calls(result: dict[str, Any]) -> None:
    """Assert on what the reference server returned, against zoneinfo for the instants and dates it names."""
    assert result["server"] == "mcp-time"
    assert {"get_current_time", "convert_time"} <= set(result["tools"])

    now = result["now"]
    assert now["timezone"] == "Europe/Paris"
    stamp = datetime.fromisoformat(now["datetime"])
    assert abs(stamp - datetime.now(UTC)) < timedelta(minutes=1)
    # Paris's offset at that instant, per zoneinfo
    assert now["datetime"] == stamp.astimezone(ZoneInfo("Europe/Paris")).isoformat()
    assert now["is_dst"] == bool(stamp.astimezone(ZoneInfo("Europe/Paris")).dst())

    # The server converts for its own "today" and says which date that was: check that date, not ours
    # (a run at midnight in New York would otherwise compare two days).
    converted = result["converted"]
    day = datetime.fromisoformat(converted["source"]["datetime"]).date()
    assert abs(day - datetime.now(NEW_YORK).date()) <= timedelta(days=1)
    expected = _expected_conversion(converted["source"]["datetime"])
    assert {
        "source": {k: converted["source"][k] for k in ("datetime", "is_dst")},
        "target": {k: converted["target"][k] for k in ("datetime", "is_dst")},
        "time_difference": converted["time_difference"],
    } == expected


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
        assert len(pids) >= 3, f"expected the front, mcp-proxy and its mcp-server-time child, got {pids}"
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

        # the count sits behind the same token
        assert httpx.get(server.stats_url, timeout=10).status_code == 401
        assert server.stats() == {"tool_calls": {"get_current_time": 1, "convert_time": 1}, "total": 2}
    assert _gone(pids), f"processes left after stop: {pids}"


def test_rejects_bad_arguments_before_starting_anything() -> None:
    with pytest.raises(ValueError, match="IANA"):
        start_time_server(local_timezone="Mars/Olympus_Mons")
    with pytest.raises(ValueError, match="empty"):
        start_time_server(bearer_token="")


# --- the front counts tool calls on the server's side of the wire ---------------------------------


def test_the_front_counts_tools_call_requests_by_tool() -> None:
    with start_time_server(local_timezone="UTC") as server:
        # a fresh server; the readiness probe (initialize) is no tool call
        assert server.stats() == {"tool_calls": {}, "total": 0}
        asyncio.run(_session_calls(server.url))  # initialize, tools/list, one call of each tool
        asyncio.run(_session_calls(server.url))
        assert server.stats() == {"tool_calls": {"get_current_time": 2, "convert_time": 2}, "total": 4}
        # a call the tool refuses still reached the server, and counts
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)

            async def bad_call() -> bool:
                async with (
                    streamablehttp_client(server.url, timeout=10) as (read, write, _),
                    ClientSession(read, write) as session,
                ):
                    await session.initialize()
                    return (await session.call_tool("get_current_time", {"timezone": "Mars/Olympus"})).isError

            assert asyncio.run(bad_call()) is True
        assert server.stats()["tool_calls"]["get_current_time"] == 3


def test_tool_call_counter_reads_single_messages_and_batches() -> None:
    counter = ToolCallCounter()
    call = {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "convert_time"}}
    counter.observe(json.dumps(call).encode())
    counter.observe(json.dumps([call, {**call, "params": {"name": "get_current_time"}}]).encode())
    for other in (
        {"jsonrpc": "2.0", "id": 2, "method": "tools/list"},
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
        {"jsonrpc": "2.0", "id": 1, "result": {"content": []}},
    ):
        counter.observe(json.dumps(other).encode())
    counter.observe(b"not json")
    counter.observe(b"")
    counter.observe(json.dumps({"jsonrpc": "2.0", "id": 3, "method": "tools/call", "params": []}).encode())
    assert counter.snapshot() == {
        "tool_calls": {"convert_time": 2, "get_current_time": 1, "<no name>": 1},
        "total": 4,
    }


def _autogen_calls(run: Any) -> Counter[str]:
    from helpers.toolloop.autogen_events import tool_calls_in

    return Counter(call.name for call in tool_calls_in(run))


def _tool_path_taken(server_stats: dict[str, Any], runs: list[Any]) -> bool:
    """Notebook 04's check: the tool calls Autogen made are, tool by tool, the calls the server received."""
    made = sum((_autogen_calls(run) for run in runs), Counter())
    return server_stats["tool_calls"] == dict(made)


@pytest.mark.anyio
async def test_the_server_count_catches_a_tool_call_that_never_reached_the_server(standin) -> None:
    """The fault: Autogen runs a local look-alike of the MCP tool. Its events look the same; the server's count does not."""
    from autogen_agentchat.agents import AssistantAgent
    from autogen_core.tools import FunctionTool
    from autogen_ext.models.openai import OpenAIChatCompletionClient
    from autogen_ext.tools.mcp import StreamableHttpMcpToolAdapter, StreamableHttpServerParams

    def get_current_time(timezone: str) -> str:
        """Get current time in a specific timezone."""
        return json.dumps({"timezone": timezone, "datetime": datetime.now(ZoneInfo(timezone)).isoformat()})

    model_info = unknown_model_info()
    client = OpenAIChatCompletionClient(
        base_url=standin.base_url, api_key=standin.api_key, model=standin.model_ids[0], model_info=model_info
    )

    async def run(tool: Any) -> Any:
        agent = AssistantAgent(name="time_assistant", model_client=client, tools=[tool])
        return await asyncio.wait_for(agent.run(task="What time is it in Europe/Paris?"), 30)

    with await asyncio.to_thread(start_time_server) as server:
        try:
            params = StreamableHttpServerParams(url=server.url, timeout=30.0, terminate_on_close=True)
            adapter = await StreamableHttpMcpToolAdapter.from_server_params(params, "get_current_time")
            over_mcp = await run(adapter)
            after_mcp = await asyncio.to_thread(server.stats)
            local = await run(
                FunctionTool(get_current_time, description="Get current time in a specific timezone")
            )
            after_local = await asyncio.to_thread(server.stats)
        finally:
            await client.close()
    assert _autogen_calls(over_mcp) == _autogen_calls(local) == Counter({"get_current_time": 1})
    assert _tool_path_taken(after_mcp, [over_mcp])  # the call went over MCP: the check holds
    assert after_local == after_mcp  # the look-alike's call never reached the server...
    assert not _tool_path_taken(after_local, [over_mcp, local])  # ...and the check fails, as it must


# --- daylight saving time: New York in winter and in summer, through the reference server --------------

# mcp-server-time's convert_time takes only "HH:MM" and converts for the server's own today. To see
# both seasons, run the real server (over stdio) with its clock set to a given instant.
_SERVER_AT = """
import sys
from datetime import datetime

import mcp_server_time.server as server

AT = datetime.fromisoformat(sys.argv.pop(1))


class Clock(datetime):
    @classmethod
    def now(cls, tz=None):
        return AT.astimezone(tz)


server.datetime = Clock
from mcp_server_time import main

main()
"""


async def _convert_at(instant: str) -> dict[str, Any]:
    params = StdioServerParameters(
        command=sys.executable,
        args=["-c", _SERVER_AT, instant, "--local-timezone", "UTC"],
        env=dict(os.environ),
    )
    async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
        await session.initialize()
        now = await session.call_tool("get_current_time", {"timezone": "America/New_York"})
        converted = await session.call_tool(
            "convert_time",
            {"source_timezone": "America/New_York", "time": "09:30", "target_timezone": "Asia/Tokyo"},
        )
    return {"now": json.loads(now.content[0].text), "converted": json.loads(converted.content[0].text)}


@pytest.mark.anyio
async def test_new_york_to_tokyo_in_winter_and_in_summer() -> None:
    winter, summer = await asyncio.gather(
        asyncio.wait_for(_convert_at("2026-01-15T12:00:00+00:00"), 30),
        asyncio.wait_for(_convert_at("2026-07-15T12:00:00+00:00"), 30),
    )
    # the server's clock really was set (else both would be today's)
    assert winter["now"]["datetime"] == "2026-01-15T07:00:00-05:00" and winter["now"]["is_dst"] is False
    assert summer["now"]["datetime"] == "2026-07-15T08:00:00-04:00" and summer["now"]["is_dst"] is True

    assert winter["converted"]["source"]["datetime"] == "2026-01-15T09:30:00-05:00"
    # 11:30 PM in Tokyo in winter: not the seed's answer
    assert winter["converted"]["target"]["datetime"] == "2026-01-15T23:30:00+09:00"
    assert winter["converted"]["time_difference"] == "+14.0h"
    assert summer["converted"]["source"]["datetime"] == "2026-07-15T09:30:00-04:00"
    # 10:30 PM in summer: the seed's answer
    assert summer["converted"]["target"]["datetime"] == "2026-07-15T22:30:00+09:00"
    assert summer["converted"]["time_difference"] == "+13.0h"
    # the check the tests and notebook 04 use, computed from the server's own date, agrees in both seasons
    for season in (winter, summer):
        converted = season["converted"]
        assert _expected_conversion(converted["source"]["datetime"]) == {
            "source": {k: converted["source"][k] for k in ("datetime", "is_dst")},
            "target": {k: converted["target"][k] for k in ("datetime", "is_dst")},
            "time_difference": converted["time_difference"],
        }
