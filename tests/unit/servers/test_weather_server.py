"""The weather MCP server as a real process behind a bearer token, and its data in memory."""

from __future__ import annotations

import asyncio
import os
import secrets
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client, streamablehttp_client
from mcp.shared._httpx_utils import create_mcp_http_client
from mcp.shared.memory import create_connected_server_and_client_session

from helpers.mcp_client.config import AgentConfig, ExternalMCPServerConfig
from helpers.mcp_client.connection import read_stats
from helpers.mcp_client.secrets import SecretStore, resolve_secret
from helpers.mcp_client.tool_filter import select_tools
from helpers.ports import free_port
from helpers.scenarios.readings import AGGREGATE_READINGS_TOOL, LOCAL_TOOLS, aggregate_readings
from helpers.servers.launch import start_server
from helpers.servers.weather import TOKEN_ENV, TOOL_NAMES, build_server
from tests.support.mcp_wire import ACCEPT, INITIALIZE


@pytest.fixture(scope="module")
def weather(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """Start `python -m helpers.servers.weather` on a free port; yield (url, token)."""
    token = secrets.token_urlsafe(24)
    workdir = tmp_path_factory.mktemp("weather")  # not the repo: data must be found from the package
    with start_server("helpers.servers.weather", env={TOKEN_ENV: token}, cwd=workdir, timeout=30) as server:
        yield server.url, token


def test_no_header_is_401(weather: tuple[str, str]) -> None:
    url, _ = weather
    reply = httpx.post(url, json=INITIALIZE, headers=ACCEPT, timeout=10)
    assert reply.status_code == 401
    assert reply.headers["www-authenticate"].startswith("Bearer")
    assert reply.json()["error"] == "invalid_request"


def test_wrong_token_is_401(weather: tuple[str, str]) -> None:
    url, token = weather
    reply = httpx.post(
        url, json=INITIALIZE, headers={**ACCEPT, "Authorization": "Bearer wrong-token"}, timeout=10
    )
    assert reply.status_code == 401
    assert 'error="invalid_token"' in reply.headers["www-authenticate"]
    assert token not in reply.text


def test_token_without_scheme_is_401_with_a_hint(weather: tuple[str, str]) -> None:
    url, token = weather
    reply = httpx.post(url, json=INITIALIZE, headers={**ACCEPT, "Authorization": token}, timeout=10)
    assert reply.status_code == 401
    assert "Bearer <token>" in reply.json()["error_description"]


# streamablehttp_client is deprecated in mcp 1.30 but is the API autogen-ext 0.7.5 and the seed use.
@pytest.mark.filterwarnings("ignore:Use `streamable_http_client` instead:DeprecationWarning")
def test_right_header_lists_tools_and_counts_calls(weather: tuple[str, str]) -> None:
    url, token = weather

    async def session_run() -> tuple[list[str], dict, dict, dict]:
        async with streamablehttp_client(url, headers={"Authorization": f"Bearer {token}"}, timeout=10) as (
            read,
            write,
            _,
        ):
            async with ClientSession(read, write) as session:
                await session.initialize()
                names = [t.name for t in (await session.list_tools()).tools]
                before = await read_stats(session)
                result = await session.call_tool("get_weather", {"location": "Berlin"})
                after = await read_stats(session)
                return names, result.structuredContent, before, after

    names, weather_now, before, after = asyncio.run(asyncio.wait_for(session_run(), timeout=30))
    assert sorted(names) == sorted(TOOL_NAMES)
    assert weather_now["location"] == "Berlin, DE" and isinstance(weather_now["temperature_c"], float)
    assert after["tool_calls"]["get_weather"] == before["tool_calls"].get("get_weather", 0) + 1


def test_seed_configs_end_to_end(
    weather: tuple[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The notebook-05 path: config -> secret store -> headers -> session -> filtered tools."""
    url, token = weather
    monkeypatch.delenv(TOKEN_ENV, raising=False)  # the client side reads the store, not the server's env
    store = SecretStore(tmp_path / "secrets.sqlite3")
    store.set(TOKEN_ENV, f"Bearer {token}")  # a secret header holds the whole header value
    server = ExternalMCPServerConfig.parse(
        {
            "_name": "Weather MCP",
            "_userType": "weather_mcp",
            "_namespaces": ["bialt1u7_so1R3g0j"],
            "_connection": {
                "_url": url,
                "_headers": {
                    "Authorization": {"type": "secret", "value": TOKEN_ENV},
                    "X-Retry": {"type": "literal", "value": "3"},
                },
            },
        }
    )
    agent = AgentConfig.parse(
        {
            "_name": "Temperature Recommendations",
            "_userType": "temp_recommendations",
            "_type": "user_agent",
            "_namespaces": ["bialt1u7_so1R3g0j"],
            "_config": {"model": "gpt-4o", "provider": "openai"},
            "_tools": ["AggregateReadingsTool"],
            "_externalMcpServers": [
                {
                    "_userType": "weather_mcp",
                    "_filter": {"_names": ["get_weather", "get_weather_by_datetime_range"]},
                }
            ],
        }
    )
    headers = server.connection.resolve_headers(lambda name: resolve_secret(name, store))

    async def tool_names() -> list[str]:
        async with (
            create_mcp_http_client(headers=headers) as http,
            streamable_http_client(server.connection.url, http_client=http) as (read, write, _),
        ):
            async with ClientSession(read, write) as session:
                await session.initialize()
                return [t.name for t in (await session.list_tools()).tools]

    available = {"weather_mcp": asyncio.run(asyncio.wait_for(tool_names(), timeout=30))}
    chosen = select_tools(available, agent, {"weather_mcp": server}, local_tools=agent.tools)
    assert chosen.names == ["get_weather", "get_weather_by_datetime_range"]


def test_refuses_to_start_without_token(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != TOKEN_ENV}
    done = subprocess.run(
        [sys.executable, "-m", "helpers.servers.weather", "--port", str(free_port())],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0
    assert f"{TOKEN_ENV} is not set" in done.stderr


def test_tools_in_memory_with_clear_errors() -> None:
    async def calls() -> list:
        server = build_server()
        async with create_connected_server_and_client_session(server._mcp_server) as session:
            return [
                await session.call_tool("get_weather", {"location": "Paris"}),
                await session.call_tool(
                    "get_weather_by_datetime_range",
                    {
                        "location": "London, GB",
                        "start": "2025-01-21T20:00:00Z",
                        "end": "2025-01-21T22:00:00Z",
                    },
                ),
                await session.call_tool(
                    "get_weather_by_datetime_range",
                    {"location": "London", "start": "2025-01-21T22:00Z", "end": "2025-01-21T20:00Z"},
                ),
                await session.call_tool(
                    "get_weather_by_datetime_range",
                    {"location": "London", "start": "2024-01-01", "end": "2024-01-02"},
                ),
                await session.call_tool("get_forecast", {"location": "tokyo", "days": 2}),
                await session.call_tool(
                    "set_alert_threshold",
                    {"location": "Berlin", "metric": "temperature_c", "value": 0, "direction": "below"},
                ),
                await session.call_tool("get_alerts", {"location": "Berlin"}),
                await session.call_tool(
                    "set_alert_threshold", {"location": "Berlin", "metric": "snow", "value": 1}
                ),
            ]

    unknown, span, backwards, outside, forecast, threshold, alerts, bad_metric = asyncio.run(calls())
    assert unknown.isError and "Berlin, DE" in unknown.content[0].text
    assert span.structuredContent["count"] == 3 and "summary" in span.structuredContent
    assert backwards.isError and "before start" in backwards.content[0].text
    assert outside.isError and "the data covers 2025-01-20" in outside.content[0].text
    assert [d["date"] for d in forecast.structuredContent["days"]] == ["2025-01-22", "2025-01-23"]
    assert threshold.structuredContent["triggered"] is True
    events = [a["event"] for a in alerts.structuredContent["alerts"]]
    assert "Frost warning" in events and "threshold: temperature_c below 0.0" in events
    assert bad_metric.isError and "temperature_c" in bad_metric.content[0].text


def test_aggregate_readings_tool() -> None:
    assert LOCAL_TOOLS[AGGREGATE_READINGS_TOOL] is aggregate_readings == LOCAL_TOOLS["AggregateReadingsTool"]
    everything = aggregate_readings()
    assert sorted(everything["rooms"]) == ["bedroom", "kitchen", "living_room", "office"]
    assert all(stats["count"] == 24 for stats in everything["rooms"].values())
    kitchen = aggregate_readings("kitchen", hours=3)["rooms"]["kitchen"]
    assert kitchen["count"] == 3 and kitchen["min"] <= kitchen["mean"] <= kitchen["max"]
    with pytest.raises(ValueError, match="unknown room 'garage'"):
        aggregate_readings("garage")
