"""Turning MCP tools and typed Python functions into OpenAI `tools` entries (helpers/toolloop/schemas.py)."""

from __future__ import annotations

import copy
from enum import StrEnum
from typing import Annotated, Any, Literal

import jsonschema
import pytest
from mcp import types
from mcp.server.fastmcp import FastMCP
from mcp.shared.memory import create_connected_server_and_client_session
from pydantic import BaseModel, Field

from helpers.toolloop.schemas import function_to_openai, mcp_tool_to_openai, parameters_schema, resolve_refs

EMPTY = {"type": "object", "properties": {}}


def tool(name: str, input_schema: dict[str, Any], description: str | None = "A tool.") -> types.Tool:
    return types.Tool(name=name, description=description, inputSchema=input_schema)


def parameters_of(entry: dict[str, Any]) -> dict[str, Any]:
    """The entry's parameters, after checking the entry's shape and that they are a valid JSON schema."""
    assert entry["type"] == "function"
    assert set(entry["function"]) == {"name", "description", "parameters"}
    parameters = entry["function"]["parameters"]
    jsonschema.Draft202012Validator.check_schema(parameters)
    assert parameters["type"] == "object" and isinstance(parameters["properties"], dict)
    return parameters


def has_ref(node: Any) -> bool:
    if isinstance(node, dict):
        return "$ref" in node or any(has_ref(v) for v in node.values())
    if isinstance(node, list):
        return any(has_ref(v) for v in node)
    return False


def accepts(schema: dict[str, Any], instance: Any) -> bool:
    return jsonschema.Draft202012Validator(schema).is_valid(instance)


class Severity(StrEnum):
    low = "low"
    high = "high"


class Alert(BaseModel):
    """An alert to raise."""

    title: str
    severity: Severity = Severity.low
    labels: list[str] = []


# --- MCP tools --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "input_schema",
    [{}, {"type": "object"}, {"type": "object", "properties": {}}],
    ids=["empty", "type-only", "no-properties"],
)
def test_tool_without_arguments(input_schema: dict[str, Any]) -> None:
    entry = mcp_tool_to_openai(tool("get_knowledge_base", input_schema, "Retrieve the knowledge base."))
    assert entry == {
        "type": "function",
        "function": {
            "name": "get_knowledge_base",
            "description": "Retrieve the knowledge base.",
            "parameters": EMPTY,
        },
    }
    parameters_of(entry)


def test_none_input_schema_and_missing_description() -> None:
    assert parameters_schema(None) == EMPTY
    entry = mcp_tool_to_openai(tool("ping", {"type": "object"}, description=None))
    assert entry["function"]["description"] == ""
    # the result is a fresh copy each time: changing one does not change the next
    entry["function"]["parameters"]["properties"]["x"] = {}
    assert parameters_schema({}) == EMPTY


def test_required_and_descriptions_kept_and_input_unchanged() -> None:
    schema = {
        "type": "object",
        "title": "get_kubernetes_pod_logsArguments",
        "properties": {
            "namespace": {"type": "string", "description": "The namespace of the pod."},
            "pod": {"type": "string", "description": "The pod name."},
            "tail": {"type": "integer", "description": "Lines to return.", "default": 100, "minimum": 1},
        },
        "required": ["namespace", "pod"],
    }
    original = copy.deepcopy(schema)
    entry = mcp_tool_to_openai(tool("get_kubernetes_pod_logs", schema, "Get the logs\n    of a pod.\n"))
    parameters = parameters_of(entry)
    assert entry["function"]["description"] == "Get the logs\nof a pod."
    assert "title" not in parameters  # pydantic's "...Arguments" title is dropped at the top
    assert parameters["required"] == ["namespace", "pod"]
    assert parameters["properties"]["namespace"] == {
        "type": "string",
        "description": "The namespace of the pod.",
    }
    assert parameters["properties"]["tail"]["default"] == 100
    assert schema == original  # the MCP tool's own schema is not modified
    assert accepts(parameters, {"namespace": "default", "pod": "p"})
    assert not accepts(parameters, {"namespace": "default"})


def test_empty_required_is_dropped() -> None:
    parameters = parameters_schema(
        {"type": "object", "properties": {"q": {"type": "string"}}, "required": []}
    )
    assert parameters == {"type": "object", "properties": {"q": {"type": "string"}}}
    jsonschema.Draft202012Validator.check_schema(parameters)


def test_exposed_under_another_name() -> None:
    entry = mcp_tool_to_openai(tool("search", {"type": "object"}), name="kb__search")
    assert entry["function"]["name"] == "kb__search"


def test_nested_objects_arrays_of_objects_and_enums() -> None:
    schema = {
        "type": "object",
        "properties": {
            "filter": {
                "type": "object",
                "description": "Which pods.",
                "properties": {
                    "labels": {"type": "object", "additionalProperties": {"type": "string"}},
                    "phase": {"type": "string", "enum": ["Running", "Pending", "Failed"]},
                },
                "required": ["phase"],
            },
            "sort": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {"field": {"type": "string"}, "order": {"enum": ["asc", "desc"]}},
                    "required": ["field"],
                },
            },
        },
        "required": ["filter"],
    }
    parameters = parameters_of(mcp_tool_to_openai(tool("list_pods", schema)))
    assert parameters["properties"] == schema["properties"]
    assert parameters["required"] == ["filter"]
    assert accepts(parameters, {"filter": {"phase": "Running"}, "sort": [{"field": "name", "order": "asc"}]})
    assert not accepts(parameters, {"filter": {"phase": "Sleeping"}})
    assert not accepts(parameters, {"filter": {"phase": "Running"}, "sort": [{"order": "asc"}]})


def test_refs_into_defs_are_resolved() -> None:
    schema = {
        "type": "object",
        "$defs": {
            "Unit": {"type": "string", "enum": ["celsius", "fahrenheit"], "title": "Unit"},
            "Place": {
                "type": "object",
                "properties": {"city": {"type": "string"}, "unit": {"$ref": "#/$defs/Unit"}},
                "required": ["city"],
            },
        },
        "properties": {
            "place": {"$ref": "#/$defs/Place", "description": "Where."},
            "stops": {"type": "array", "items": {"$ref": "#/$defs/Place"}},
            "unit": {"anyOf": [{"$ref": "#/$defs/Unit"}, {"type": "null"}], "default": None},
        },
        "required": ["place"],
    }
    parameters = parameters_of(mcp_tool_to_openai(tool("forecast", schema)))
    assert not has_ref(parameters) and "$defs" not in parameters
    place = parameters["properties"]["place"]
    assert place["description"] == "Where." and place["required"] == ["city"]
    assert place["properties"]["unit"]["enum"] == ["celsius", "fahrenheit"]
    assert parameters["properties"]["stops"]["items"]["properties"]["city"] == {"type": "string"}
    assert parameters["properties"]["unit"]["anyOf"][0]["enum"] == ["celsius", "fahrenheit"]
    assert accepts(parameters, {"place": {"city": "Oslo", "unit": "celsius"}, "stops": [{"city": "Bergen"}]})
    assert not accepts(parameters, {"place": {"city": "Oslo", "unit": "kelvin"}})


def test_old_style_definitions_are_resolved() -> None:
    schema = {
        "type": "object",
        "definitions": {"Id": {"type": "integer", "minimum": 1}},
        "properties": {"id": {"$ref": "#/definitions/Id"}},
        "required": ["id"],
    }
    parameters = parameters_of(mcp_tool_to_openai(tool("get", schema)))
    assert parameters["properties"]["id"] == {"type": "integer", "minimum": 1}
    assert "definitions" not in parameters


@pytest.mark.parametrize("key", ["$defs", "definitions"])
def test_recursive_ref_is_kept_valid(key: str) -> None:
    schema = {
        "type": "object",
        key: {
            "Node": {
                "type": "object",
                "properties": {
                    "name": {"type": "string"},
                    "children": {"type": "array", "items": {"$ref": f"#/{key}/Node"}},
                },
                "required": ["name"],
            }
        },
        "properties": {"tree": {"$ref": f"#/{key}/Node"}},
        "required": ["tree"],
    }
    parameters = parameters_of(mcp_tool_to_openai(tool("walk", schema)))
    tree = parameters["properties"]["tree"]
    assert tree["properties"]["children"]["items"] == {"$ref": f"#/{key}/Node"}  # the recursion stays a $ref
    assert "Node" in parameters[key]  # ... and what it points to is still there
    # a validator can follow it: the schema is usable, not only well-formed
    good = {"tree": {"name": "a", "children": [{"name": "b", "children": [{"name": "c"}]}]}}
    assert accepts(parameters, good)
    assert not accepts(parameters, {"tree": {"name": "a", "children": [{"children": []}]}})


def test_property_named_like_a_keyword_is_kept() -> None:
    schema = {
        "type": "object",
        "properties": {
            "definitions": {"type": "string"},
            "$defs": {"type": "string"},
            "title": {"type": "string"},
        },
        "required": ["definitions"],
    }
    parameters = parameters_of(mcp_tool_to_openai(tool("glossary", schema)))
    assert set(parameters["properties"]) == {"definitions", "$defs", "title"}
    assert parameters["required"] == ["definitions"]


def test_resolve_refs_leaves_unknown_and_remote_refs() -> None:
    schema = {"properties": {"a": {"$ref": "#/$defs/Missing"}, "b": {"$ref": "https://example.com/x.json"}}}
    assert resolve_refs(schema) == schema


@pytest.mark.anyio
async def test_tools_of_a_real_fastmcp_server() -> None:
    """The schemas FastMCP really publishes (pydantic models, enums, optionals) convert cleanly."""

    server = FastMCP("schemas")

    @server.tool()
    def ping() -> str:
        """Answer pong."""
        return "pong"

    @server.tool()
    def raise_alert(alert: Alert, channels: list[Literal["email", "pager"]], note: str | None = None) -> str:
        """Raise an alert.

        Sends it to the channels given.
        """
        return "ok"

    async with create_connected_server_and_client_session(server) as session:
        tools = {t.name: t for t in (await session.list_tools()).tools}

    assert parameters_of(mcp_tool_to_openai(tools["ping"])) == EMPTY
    entry = mcp_tool_to_openai(tools["raise_alert"])
    parameters = parameters_of(entry)
    assert entry["function"]["description"] == "Raise an alert.\n\nSends it to the channels given."
    assert "title" not in parameters and not has_ref(parameters) and "$defs" not in parameters
    assert sorted(parameters["required"]) == ["alert", "channels"]
    alert = parameters["properties"]["alert"]
    assert alert["properties"]["severity"]["enum"] == ["low", "high"]
    assert parameters["properties"]["channels"]["items"]["enum"] == ["email", "pager"]
    assert accepts(parameters, {"alert": {"title": "disk"}, "channels": ["pager"]})
    assert not accepts(parameters, {"alert": {"title": "disk", "severity": "medium"}, "channels": []})


# --- Python functions -------------------------------------------------------------------------


def get_pod_memory(namespace: str, pod: str, container: str | None = None, window_minutes: int = 5) -> dict:
    """Memory usage, request and limit of one pod.

    Indented text in the docstring is cleaned up
    the way inspect.cleandoc does it.
    """
    return {}


class Query(BaseModel):
    sql: str = Field(description="One read-only SELECT statement.")
    limit: int = Field(50, ge=1, le=500)


class Mode(StrEnum):
    fast = "fast"
    exact = "exact"


async def run_query(
    query: Query,
    mode: Mode = Mode.fast,
    tags: Annotated[list[str] | None, Field(description="Labels for the log.")] = None,
) -> str:
    """Run a query."""
    return ""


def test_function_with_docstring_and_optional_args() -> None:
    entry = function_to_openai(get_pod_memory)
    parameters = parameters_of(entry)
    assert entry["function"]["name"] == "get_pod_memory"
    assert entry["function"]["description"] == (
        "Memory usage, request and limit of one pod.\n\n"
        "Indented text in the docstring is cleaned up\nthe way inspect.cleandoc does it."
    )
    assert parameters["required"] == ["namespace", "pod"]  # Optional / defaulted args are not required
    assert parameters["properties"]["namespace"]["type"] == "string"
    assert parameters["properties"]["window_minutes"]["type"] == "integer"
    assert "title" not in parameters
    assert accepts(parameters, {"namespace": "default", "pod": "p", "container": None})
    assert not accepts(parameters, {"namespace": "default", "pod": "p", "window_minutes": "five"})


def test_function_with_a_pydantic_model_argument() -> None:
    entry = function_to_openai(run_query, name="sql")
    parameters = parameters_of(entry)
    assert entry["function"] == {**entry["function"], "name": "sql", "description": "Run a query."}
    assert not has_ref(parameters) and "$defs" not in parameters
    assert parameters["required"] == ["query"]
    query = parameters["properties"]["query"]
    assert query["properties"]["sql"]["description"] == "One read-only SELECT statement."
    assert query["required"] == ["sql"]
    assert parameters["properties"]["mode"]["enum"] == ["fast", "exact"]
    assert parameters["properties"]["tags"]["description"] == "Labels for the log."
    assert accepts(parameters, {"query": {"sql": "select 1", "limit": 10}, "mode": "exact", "tags": ["a"]})
    assert not accepts(parameters, {"query": {"sql": "select 1", "limit": 0}})
    assert not accepts(parameters, {"query": {"limit": 10}})


def test_function_without_docstring_or_arguments() -> None:
    def now():
        return 0

    entry = function_to_openai(now)
    assert entry["function"] == {"name": "now", "description": "", "parameters": EMPTY}
