"""Server and agent configuration documents: the seed's JSON verbatim, and clear errors otherwise."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest

from helpers.mcp_client.config import (
    AgentConfig,
    ConfigError,
    ExternalMCPServerConfig,
    load_mcp_servers_json,
)

# Copied verbatim from seeds/003 (AI Service as MCP client).
SEED_SERVER = """{ "_name": "Weather MCP", "_description": "Weather MCP server", "_userType": "weather_mcp", "_namespaces": ["bialt1u7_so1R3g0j"], "_connection": { "_url": "https://mcp.open-mcp.org/api/server/open-weather@latest/mcp", "_headers": { "Authorization": { "type": "secret", "value": "WEATHER_MCP_TOKEN" }, "X-Retry": { "type": "literal", "value": "3" } } }}"""
SEED_AGENT = """{ "_name": "Temperature Recommendations", "_background": "Generates optimal temperature recommendations by combining aggregated indoor temperature readings with real-time weather information obtained from weather MCP tools", "_userType": "temp_recommendations", "_type": "user_agent", "_namespaces": ["bialt1u7_so1R3g0j"], "_config": { "model": "gpt-4o", "provider": "openai" }, "_tools": ["AggregateReadingsTool"], "_externalMcpServers": [ { "_userType": "weather_mcp", "_filter": { "_names": [ "get_weather", "get_weather_by_datetime_range" ] } } ]}"""


def test_seed_server_parses_verbatim() -> None:
    server = ExternalMCPServerConfig.parse(SEED_SERVER)
    assert server.user_type == "weather_mcp"
    assert server.connection.transport == "streamable-http"  # the documented default
    assert server.connection.headers["Authorization"].type == "secret"
    assert server.connection.headers["Authorization"].value == "WEATHER_MCP_TOKEN"
    assert server.connection.headers["X-Retry"].value == "3"
    assert server.model_dump(by_alias=True, exclude_defaults=True)["_connection"]["_url"].endswith(
        "@latest/mcp"
    )


def test_seed_agent_parses_verbatim() -> None:
    agent = AgentConfig.parse(json.loads(SEED_AGENT))
    assert agent.user_type == "temp_recommendations"
    assert agent.config.model == "gpt-4o" and agent.config.provider == "openai"
    assert agent.tools == ["AggregateReadingsTool"]
    assert agent.knowledgebases == []
    (ref,) = agent.external_mcp_servers
    assert ref.user_type == "weather_mcp"
    assert ref.filter is not None and ref.filter.names == ["get_weather", "get_weather_by_datetime_range"]


def test_sse_transport_allowed() -> None:
    doc = json.loads(SEED_SERVER)
    doc["_connection"]["_transport"] = "sse"
    assert ExternalMCPServerConfig.parse(doc).connection.transport == "sse"


def _server(change: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    doc = json.loads(SEED_SERVER)
    change(doc)
    return doc


def _agent(change: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    doc = json.loads(SEED_AGENT)
    change(doc)
    return doc


def _headers(doc: dict[str, Any]) -> dict[str, Any]:
    return doc["_connection"]["_headers"]


INVALID_SERVERS = [
    (lambda d: d.update(_userTyp=d.pop("_userType")), ["unknown key '_userTyp'", "did you mean '_userType'"]),
    (
        lambda d: _headers(d)["Authorization"].update(type="secrett"),
        ["_connection._headers.Authorization.type", "'literal' or 'secret'"],
    ),
    (
        lambda d: _headers(d)["Authorization"].update(value="Bearer s3cr3t-t0ken"),
        ["_connection._headers.Authorization.value", "*name* of a secret"],
    ),
    (
        lambda d: d["_connection"].update(_url="ftp://example.org/mcp"),
        ["_connection._url", "http:// or https://"],
    ),
    (
        lambda d: d["_connection"].update(_url="localhost:8000/mcp"),
        ["_connection._url", "http:// or https://"],
    ),
    (lambda d: d.pop("_connection"), ["_connection: Field required"]),
    (lambda d: d.update(_userType="weather-mcp"), ["_userType", "identifier"]),
    (lambda d: d.update(_namespaces=[]), ["_namespaces", "at least 1"]),
    (
        lambda d: d["_connection"].update(_transport="websocket"),
        ["_connection._transport", "'streamable-http'"],
    ),
    (lambda d: _headers(d).update({"X Retry": {"type": "literal", "value": "3"}}), ["header name 'X Retry'"]),
    (lambda d: _headers(d)["X-Retry"].pop("type"), ["_connection._headers.X-Retry.type: Field required"]),
    (
        lambda d: _headers(d)["X-Retry"].update(kind="literal"),
        ["_connection._headers.X-Retry", "unknown key 'kind'"],
    ),
    (lambda d: d["_connection"].update(_transport="stdio"), ["a stdio connection needs `_command`"]),
    (lambda d: d["_connection"].update(_headers="Authorization: x"), ["_connection._headers", "JSON object"]),
]


@pytest.mark.parametrize(("change", "fragments"), INVALID_SERVERS)
def test_invalid_server_documents_explain_themselves(change: Callable, fragments: list[str]) -> None:
    with pytest.raises(ConfigError) as info:
        ExternalMCPServerConfig.parse(_server(change))
    message = str(info.value)
    for fragment in fragments:
        assert fragment in message
    assert "s3cr3t" not in message  # a mistyped secret is never echoed back


INVALID_AGENTS = [
    (
        lambda d: d["_externalMcpServers"][0]["_filter"].update(_names=[]),
        ["_externalMcpServers[0]._filter._names", "omit `_filter`"],
    ),
    (
        lambda d: d["_externalMcpServers"][0].update(_filter={"names": ["get_weather"]}),
        ["unknown key 'names'", "did you mean '_names'"],
    ),
    (lambda d: d["_externalMcpServers"].append({"_userType": "weather_mcp"}), ["referenced more than once"]),
    (lambda d: d["_config"].pop("provider"), ["_config.provider: Field required"]),
    (
        lambda d: d["_externalMcpServers"][0].update(_userType="weather mcp"),
        ["_externalMcpServers[0]._userType"],
    ),
    (lambda d: d.update(_tools="AggregateReadingsTool"), ["_tools", "JSON array"]),
    (lambda d: d["_externalMcpServers"][0]["_filter"]["_names"].append(""), ["may not be empty"]),
]


@pytest.mark.parametrize(("change", "fragments"), INVALID_AGENTS)
def test_invalid_agent_documents_explain_themselves(change: Callable, fragments: list[str]) -> None:
    with pytest.raises(ConfigError) as info:
        AgentConfig.parse(_agent(change))
    for fragment in fragments:
        assert fragment in str(info.value)


def test_every_problem_is_reported_at_once() -> None:
    doc = _server(lambda d: (d.update(_userTyp="x"), d["_connection"].update(_url="ftp://x")))
    with pytest.raises(ConfigError) as info:
        ExternalMCPServerConfig.parse(doc)
    assert len(info.value.problems) == 2
    assert "2 problems" in str(info.value)


def test_text_that_is_not_json() -> None:
    with pytest.raises(ConfigError, match="not valid JSON"):
        AgentConfig.parse("{'_name': 'single quotes'}")


def test_literal_credential_header_warns() -> None:
    doc = _server(lambda d: _headers(d).update(Authorization={"type": "literal", "value": "Bearer x"}))
    with pytest.warns(UserWarning, match="looks like a credential"):
        ExternalMCPServerConfig.parse(doc)


def test_resolve_headers_uses_the_resolver_only_for_secrets() -> None:
    server = ExternalMCPServerConfig.parse(SEED_SERVER)
    asked: list[str] = []
    headers = server.connection.resolve_headers(lambda name: asked.append(name) or f"Bearer <{name}>")
    assert headers == {"Authorization": "Bearer <WEATHER_MCP_TOKEN>", "X-Retry": "3"}
    assert asked == ["WEATHER_MCP_TOKEN"]


MCP_SERVERS = {
    "mcpServers": {
        "open-weather": {
            "url": "http://127.0.0.1:8123/mcp",
            "headers": {"Authorization": "${WEATHER_MCP_TOKEN}", "X-Retry": "3"},
        },
        "legacy": {"type": "sse", "url": "http://127.0.0.1:8124/sse"},
        "time": {"command": "python", "args": ["-m", "mcp_server_time"], "env": {"TZ_TOKEN": "${TZ_TOKEN}"}},
        "off": {"command": "nothing", "disabled": True},
    }
}


def test_mcp_servers_shape_maps_onto_the_model() -> None:
    servers = load_mcp_servers_json(json.dumps(MCP_SERVERS), namespaces=["lab"])
    assert sorted(servers) == ["legacy", "open_weather", "time"]  # disabled entries are skipped
    weather = servers["open_weather"]
    assert weather.name == "open-weather" and weather.namespaces == ["lab"]
    assert weather.connection.transport == "streamable-http"
    assert weather.connection.headers["Authorization"].model_dump() == {
        "type": "secret",
        "value": "WEATHER_MCP_TOKEN",
    }
    assert weather.connection.headers["X-Retry"].model_dump() == {"type": "literal", "value": "3"}
    assert servers["legacy"].connection.transport == "sse"
    time = servers["time"].connection
    assert (time.transport, time.command, time.args) == ("stdio", "python", ["-m", "mcp_server_time"])
    assert time.env["TZ_TOKEN"].type == "secret"


@pytest.mark.parametrize(
    ("entry", "fragment"),
    [
        (
            {"url": "http://127.0.0.1:1/mcp", "headers": {"Authorization": "Bearer ${TOKEN}"}},
            "only a whole value `${VAR}`",
        ),
        ({"url": "http://127.0.0.1:1/mcp", "timeout": 5}, "unknown keys ['timeout']"),
        ({"type": "websocket", "url": "ws://127.0.0.1:1"}, "unknown transport 'websocket'"),
        ({"url": "file:///tmp/x"}, "_connection._url"),
        ({"args": ["x"]}, "needs `_url`"),
    ],
)
def test_mcp_servers_shape_errors(entry: dict[str, Any], fragment: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_mcp_servers_json({"mcpServers": {"bad": copy.deepcopy(entry)}})
    assert fragment in str(info.value)
    assert "bad" in str(info.value)


def test_mcp_servers_key_is_required() -> None:
    with pytest.raises(ConfigError, match="mcpServers"):
        load_mcp_servers_json({"servers": {}})


def test_knowledgebases_are_accepted_with_a_warning_that_they_are_not_used() -> None:
    doc = json.loads(SEED_AGENT)
    doc["_knowledgebases"] = ["hr_policies"]
    with pytest.warns(UserWarning, match=r"`_knowledgebases` \['hr_policies'\] is accepted but not used"):
        agent = AgentConfig.parse(doc)
    assert agent.knowledgebases == ["hr_policies"]


def test_no_knowledgebases_no_warning() -> None:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert AgentConfig.parse(SEED_AGENT).knowledgebases == []
