"""Tool selection: namespaces, exact names and wildcards, unknown servers, name collisions."""

from __future__ import annotations

from typing import Any

import pytest

from helpers.mcp_client.config import AgentConfig, ExternalMCPServerConfig
from helpers.mcp_client.tool_filter import NamespaceDeniedError, UnknownServerError, matches, select_tools

WEATHER_TOOLS = [
    "get_weather",
    "get_weather_by_datetime_range",
    "get_forecast",
    "get_alerts",
    "set_alert_threshold",
]
NS = "bialt1u7_so1R3g0j"


def server(user_type: str, namespaces: list[str] | None = None) -> ExternalMCPServerConfig:
    return ExternalMCPServerConfig.parse(
        {
            "_name": user_type,
            "_userType": user_type,
            "_namespaces": namespaces or [NS],
            "_connection": {"_url": f"http://127.0.0.1:9/{user_type}/mcp"},
        }
    )


def agent(*refs: dict[str, Any], namespaces: list[str] | None = None) -> AgentConfig:
    return AgentConfig.parse(
        {
            "_name": "Temperature Recommendations",
            "_userType": "temp_recommendations",
            "_type": "user_agent",
            "_namespaces": namespaces or [NS],
            "_config": {"model": "gpt-4o", "provider": "openai"},
            "_tools": ["AggregateReadingsTool"],
            "_externalMcpServers": list(refs),
        }
    )


def ref(user_type: str, *names: str) -> dict[str, Any]:
    return {"_userType": user_type, **({"_filter": {"_names": list(names)}} if names else {})}


SERVERS = {"weather_mcp": server("weather_mcp")}
AVAILABLE = {"weather_mcp": WEATHER_TOOLS}


def test_exact_names_as_in_the_seed() -> None:
    chosen = select_tools(
        AVAILABLE, agent(ref("weather_mcp", "get_weather", "get_weather_by_datetime_range")), SERVERS
    )
    assert chosen.names == ["get_weather", "get_weather_by_datetime_range"]
    assert chosen.route("get_weather") == ("weather_mcp", "get_weather")
    assert chosen.unmatched_patterns == {}


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("get_weather*", ["get_weather", "get_weather_by_datetime_range"]),
        ("*_by_*", ["get_weather_by_datetime_range"]),
        ("get_?lerts", ["get_alerts"]),
        ("*alert*", ["get_alerts", "set_alert_threshold"]),
    ],
)
def test_wildcards(pattern: str, expected: list[str]) -> None:
    assert select_tools(AVAILABLE, agent(ref("weather_mcp", pattern)), SERVERS).names == expected


def test_matching_is_case_sensitive() -> None:
    assert matches("get_weather", "get_*") and not matches("get_weather", "GET_*")


def test_no_filter_means_every_tool() -> None:
    chosen = select_tools(AVAILABLE, agent(ref("weather_mcp")), SERVERS)
    assert chosen.names == WEATHER_TOOLS
    assert chosen.by_server() == {"weather_mcp": WEATHER_TOOLS}


def test_unmatched_patterns_are_reported() -> None:
    chosen = select_tools(
        AVAILABLE, agent(ref("weather_mcp", "get_weather", "get_humidity", "*_radar*")), SERVERS
    )
    assert chosen.names == ["get_weather"]
    assert chosen.unmatched_patterns == {"weather_mcp": ["get_humidity", "*_radar*"]}


def test_namespace_denied_names_everything() -> None:
    servers = {"weather_mcp": server("weather_mcp", ["team_b"])}
    with pytest.raises(PermissionError) as info:
        select_tools(AVAILABLE, agent(ref("weather_mcp"), namespaces=["team_a"]), servers)
    assert isinstance(info.value, NamespaceDeniedError)
    message = str(info.value)
    for fragment in ("temp_recommendations", "weather_mcp", "['team_a']", "['team_b']", "share no namespace"):
        assert fragment in message


def test_one_shared_namespace_is_enough() -> None:
    servers = {"weather_mcp": server("weather_mcp", ["team_b", "shared"])}
    chosen = select_tools(
        AVAILABLE, agent(ref("weather_mcp", "get_alerts"), namespaces=["team_a", "shared"]), servers
    )
    assert chosen.names == ["get_alerts"]


def test_unknown_server_lists_the_known_ones() -> None:
    with pytest.raises(UnknownServerError) as info:
        select_tools(AVAILABLE, agent(ref("wether_mcp")), SERVERS)
    assert "'wether_mcp'" in str(info.value) and "['weather_mcp']" in str(info.value)


def test_configured_but_not_connected() -> None:
    with pytest.raises(UnknownServerError, match="no tool list for server 'weather_mcp'"):
        select_tools({}, agent(ref("weather_mcp")), SERVERS)


def test_collisions_are_prefixed_on_both_sides() -> None:
    servers = {**SERVERS, "backup_weather": server("backup_weather")}
    available = {**AVAILABLE, "backup_weather": ["get_weather", "get_radar"]}
    chosen = select_tools(
        available, agent(ref("weather_mcp", "get_weather*"), ref("backup_weather")), servers
    )
    assert chosen.names == [
        "weather_mcp__get_weather",
        "get_weather_by_datetime_range",
        "backup_weather__get_weather",
        "get_radar",
    ]
    assert chosen.route("weather_mcp__get_weather") == ("weather_mcp", "get_weather")
    assert chosen.route("backup_weather__get_weather") == ("backup_weather", "get_weather")
    assert chosen.by_server()["backup_weather"] == ["get_weather", "get_radar"]


def test_local_tool_names_are_reserved() -> None:
    available = {"weather_mcp": ["AggregateReadingsTool", "get_weather"]}
    chosen = select_tools(
        available, agent(ref("weather_mcp")), SERVERS, local_tools=["AggregateReadingsTool"]
    )
    assert chosen.names == ["weather_mcp__AggregateReadingsTool", "get_weather"]


def test_route_unknown_name() -> None:
    chosen = select_tools(AVAILABLE, agent(ref("weather_mcp", "get_weather")), SERVERS)
    with pytest.raises(LookupError, match="not among"):
        chosen.route("get_forecast")
