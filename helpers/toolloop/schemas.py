"""Turn MCP tools (and plain Python functions) into OpenAI `tools` entries.

MCP describes a tool's arguments with a JSON schema (`inputSchema`); the Chat Completions API
wants `{"type": "function", "function": {"name", "description", "parameters"}}`. Most of it
maps one to one; the care is in the edges: a tool with no arguments, `$ref`s into `$defs`.
"""

from __future__ import annotations

import copy
import inspect
from collections.abc import Callable
from typing import Any

EMPTY_PARAMETERS = {"type": "object", "properties": {}}


def resolve_refs(schema: dict[str, Any]) -> dict[str, Any]:
    """Inline local `$ref`s (`#/$defs/X`, `#/definitions/X`); a recursive one is kept, with its `$defs`."""
    definitions = {**schema.get("definitions", {}), **schema.get("$defs", {})}
    recursive = False

    def walk(node: Any, seen: tuple[str, ...], root: bool = False) -> Any:
        nonlocal recursive
        if isinstance(node, list):
            return [walk(item, seen) for item in node]
        if not isinstance(node, dict):
            return node
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith(("#/$defs/", "#/definitions/")):
            name = ref.rsplit("/", 1)[1]
            if name in seen or name not in definitions:
                recursive = recursive or name in seen
                return node
            target = walk(copy.deepcopy(definitions[name]), (*seen, name))
            extra = {k: walk(v, seen) for k, v in node.items() if k != "$ref"}
            return {**target, **extra}
        # only the root's definitions go: a property may well be named "definitions"
        return {k: walk(v, seen) for k, v in node.items() if not (root and k in ("$defs", "definitions"))}

    resolved = walk(schema, (), root=True)
    if (
        recursive
    ):  # keep the definitions a remaining $ref points to (under the key it uses), so it stays valid
        for key in ("$defs", "definitions"):
            if isinstance(schema.get(key), dict):
                resolved[key] = {k: walk(v, (k,)) for k, v in schema[key].items()}
    return resolved


def parameters_schema(input_schema: dict[str, Any] | None) -> dict[str, Any]:
    """A valid `parameters` object schema from an MCP `inputSchema` (which may be empty)."""
    if not input_schema:
        return copy.deepcopy(EMPTY_PARAMETERS)
    schema = resolve_refs(copy.deepcopy(input_schema))
    schema.pop("title", None)  # pydantic's "xArguments" title tells the model nothing
    schema["type"] = "object"
    schema.setdefault("properties", {})
    if not schema.get("required"):
        schema.pop("required", None)
    return schema


def mcp_tool_to_openai(tool: Any, name: str | None = None) -> dict[str, Any]:
    """An OpenAI `tools` entry for an MCP `Tool` (optionally exposed under another `name`)."""
    return {
        "type": "function",
        "function": {
            "name": name or tool.name,
            "description": inspect.cleandoc(tool.description or ""),
            "parameters": parameters_schema(tool.inputSchema),
        },
    }


def function_to_openai(fn: Callable[..., Any], name: str | None = None) -> dict[str, Any]:
    """An OpenAI `tools` entry for a typed Python function; its docstring becomes the description."""
    from mcp.server.fastmcp.tools import Tool

    tool = Tool.from_function(fn, name=name)
    return {
        "type": "function",
        "function": {
            "name": tool.name,
            "description": inspect.cleandoc(tool.description or ""),
            "parameters": parameters_schema(tool.parameters),
        },
    }
