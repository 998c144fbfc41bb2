"""Server and agent configuration documents (seed 003), validated with pydantic.

`ExternalMCPServerConfig` and `AgentConfig` accept the seed's JSON verbatim: their keys start with
an underscore, which pydantic maps to plain field names through aliases. A header is either a
literal value or a *reference* to a secret (a name), resolved only when connecting, so a config
document can be printed, logged and committed without leaking anything.
"""

from __future__ import annotations

import difflib
import json
import re
import warnings
from collections.abc import Callable, Mapping
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from helpers.errors import ConfigError

IDENTIFIER = r"^[A-Za-z_][A-Za-z0-9_]*$"
# RFC 9110 token characters: what an HTTP header name may contain.
_HEADER_NAME = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
_CREDENTIAL_HINTS = ("authorization", "key", "token", "secret", "cookie", "password")
_ENV_REF = re.compile(r"^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$")


class _Strict(BaseModel):
    # extra="forbid" turns a typo such as `_userTyp` into an error instead of a silently ignored key.
    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=True)


class Header(_Strict):
    """One header: a literal value, or the name of a secret resolved at connect time."""

    type: Literal["literal", "secret"]
    value: str = Field(min_length=1)

    @field_validator("value")
    @classmethod
    def _secret_is_a_name(cls, value: str, info: ValidationInfo) -> str:
        if info.data.get("type") == "secret" and not re.match(IDENTIFIER, value):
            raise PydanticCustomError(
                "secret_reference",
                "a secret header holds the *name* of a secret (letters, digits, underscores, "
                "e.g. WEATHER_MCP_TOKEN), not the secret itself",
            )
        return value


class Connection(_Strict):
    """Where and how to reach the server: URL and headers over HTTP, or a command over stdio."""

    transport: Literal["streamable-http", "sse", "stdio"] = Field("streamable-http", alias="_transport")
    url: str | None = Field(None, alias="_url")
    headers: dict[str, Header] = Field(default_factory=dict, alias="_headers")
    command: str | None = Field(None, alias="_command")
    args: list[str] = Field(default_factory=list, alias="_args")
    env: dict[str, Header] = Field(default_factory=dict, alias="_env")

    @field_validator("url")
    @classmethod
    def _http_url(cls, url: str | None) -> str | None:
        if url is None:
            return url
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise PydanticCustomError("url_scheme", "must be an http:// or https:// URL with a host")
        return url

    @field_validator("headers")
    @classmethod
    def _header_names(cls, headers: dict[str, Header]) -> dict[str, Header]:
        for name, header in headers.items():
            if not _HEADER_NAME.match(name):
                raise PydanticCustomError(
                    "header_name",
                    "header name {name} has characters HTTP does not allow",
                    {"name": repr(name)},
                )
            if header.type == "literal" and any(h in name.lower() for h in _CREDENTIAL_HINTS):
                warnings.warn(
                    f"header {name!r} looks like a credential but is a literal; "
                    'use {"type": "secret", "value": "<SECRET_NAME>"} so the config holds no secret',
                    UserWarning,
                    stacklevel=2,
                )
        return headers

    @model_validator(mode="after")
    def _fits_transport(self) -> Connection:
        if self.transport == "stdio":
            if not self.command or self.url or self.headers:
                raise PydanticCustomError(
                    "stdio_shape",
                    "a stdio connection needs `_command` (and optional `_args`), not `_url`/`_headers`",
                )
        elif not self.url or self.command:
            raise PydanticCustomError(
                "http_shape", f"a {self.transport} connection needs `_url`, and no `_command`"
            )
        return self

    def resolve_headers(self, resolve: Callable[[str], Any] | None = None) -> dict[str, str]:
        """Headers to send, with secret references resolved (default: `helpers.mcp_client.secrets.resolve_secret`)."""
        return _resolve(self.headers, resolve)

    def resolve_env(self, resolve: Callable[[str], Any] | None = None) -> dict[str, str]:
        """Environment for a stdio server, with secret references resolved."""
        return _resolve(self.env, resolve)


def _resolve(items: dict[str, Header], resolve: Callable[[str], Any] | None) -> dict[str, str]:
    """Replace secret references by their values; SecretStr results are unwrapped here, at the edge."""
    if resolve is None:
        from helpers.mcp_client.secrets import resolve_secret

        resolve = resolve_secret
    out: dict[str, str] = {}
    for name, header in items.items():
        value = header.value if header.type == "literal" else resolve(header.value)
        out[name] = value.get_secret_value() if hasattr(value, "get_secret_value") else str(value)
    return out


class ExternalMCPServerConfig(_Strict):
    """A first-class resource describing one external MCP server (seed 003)."""

    name: str = Field(min_length=1, alias="_name")
    description: str = Field("", alias="_description")
    user_type: str = Field(pattern=IDENTIFIER, alias="_userType")
    namespaces: list[str] = Field(min_length=1, alias="_namespaces")
    connection: Connection = Field(alias="_connection")

    @classmethod
    def parse(cls, doc: Mapping[str, Any] | str | bytes) -> ExternalMCPServerConfig:
        """Validate a JSON document (dict or text). Raises ConfigError naming each bad field."""
        return _parse(cls, doc)


class ModelConfig(_Strict):
    """Which model and provider the agent asks."""

    model: str = Field(min_length=1)
    provider: str = Field(min_length=1)


class ToolFilter(_Strict):
    """Tool names or shell-style wildcards (`get_weather*`) the agent may use from a server."""

    names: list[str] = Field(min_length=1, alias="_names")

    @field_validator("names")
    @classmethod
    def _non_empty(cls, names: list[str]) -> list[str]:
        if any(not n.strip() for n in names):
            raise PydanticCustomError("empty_pattern", "a tool name or pattern may not be empty")
        return names


class ServerRef(_Strict):
    """An agent's reference to an ExternalMCPServerConfig by its `_userType`, with an optional filter."""

    user_type: str = Field(pattern=IDENTIFIER, alias="_userType")
    filter: ToolFilter | None = Field(None, alias="_filter")


class AgentConfig(_Strict):
    """An agent: model, own tools, knowledge bases and the external MCP servers it may use."""

    name: str = Field(min_length=1, alias="_name")
    background: str = Field("", alias="_background")
    user_type: str = Field(pattern=IDENTIFIER, alias="_userType")
    type: str = Field("user_agent", pattern=IDENTIFIER, alias="_type")
    namespaces: list[str] = Field(min_length=1, alias="_namespaces")
    config: ModelConfig = Field(alias="_config")
    tools: list[str] = Field(default_factory=list, alias="_tools")
    knowledgebases: list[str] = Field(default_factory=list, alias="_knowledgebases")
    external_mcp_servers: list[ServerRef] = Field(default_factory=list, alias="_externalMcpServers")

    @field_validator("external_mcp_servers")
    @classmethod
    def _no_duplicates(cls, refs: list[ServerRef]) -> list[ServerRef]:
        seen = [r.user_type for r in refs]
        dupes = sorted({u for u in seen if seen.count(u) > 1})
        if dupes:
            raise PydanticCustomError(
                "duplicate_ref",
                "server {dupes} referenced more than once; merge the `_filter._names`",
                {"dupes": ", ".join(dupes)},
            )
        return refs

    @model_validator(mode="after")
    def _knowledgebases_are_not_used(self) -> AgentConfig:
        # Accepted so the seed's documents parse, but nothing here serves knowledge bases: say so, not silently.
        if self.knowledgebases:
            warnings.warn(
                f"agent {self.user_type!r}: `_knowledgebases` {self.knowledgebases} is accepted but not used: "
                "this workbook has no knowledge-base service, so the model is not offered them. Serve the "
                "knowledge base as an MCP server (notebook 03's knowledge-base server is one) and reference "
                "it in `_externalMcpServers`",
                UserWarning,
                stacklevel=2,
            )
        return self

    @classmethod
    def parse(cls, doc: Mapping[str, Any] | str | bytes) -> AgentConfig:
        """Validate a JSON document (dict or text). Raises ConfigError naming each bad field."""
        return _parse(cls, doc)


# --- error messages ------------------------------------------------------------------------------

_HINTS = {
    "url_scheme": "write the server's endpoint, e.g. http://127.0.0.1:8000/mcp",
    "secret_reference": 'write {"type": "secret", "value": "WEATHER_MCP_TOKEN"} and keep the value in that secret',
    "header_name": "use letters, digits and dashes, e.g. X-Retry",
    "stdio_shape": "set `_transport` to match the fields you give",
    "http_shape": "set `_transport` to match the fields you give",
    "duplicate_ref": "list each server once",
    "empty_pattern": "remove the empty entry",
    "literal_error": "use one of the allowed values",
    "string_pattern_mismatch": "use an identifier: letters, digits and underscores, not starting with a digit",
    "too_short": "give at least one entry",
    "string_too_short": "give a non-empty value",
    "string_type": "write it as a JSON string",
    "list_type": "write it as a JSON array",
    "dict_type": "write it as a JSON object",
    "model_type": "write it as a JSON object",
}
_KNOWN_KEYS = sorted(
    {
        f.alias
        for m in (
            Header,
            Connection,
            ExternalMCPServerConfig,
            ModelConfig,
            ToolFilter,
            ServerRef,
            AgentConfig,
        )
        for f in m.model_fields.values()
        if f.alias
    }
    | {"type", "value", "model", "provider"}
)


def _path(loc: tuple[Any, ...]) -> str:
    """Render ('_externalMcpServers', 0, '_filter') as `_externalMcpServers[0]._filter`."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part != "[key]":
            out += ("." if out else "") + str(part)
    return out


def _explain(err: Mapping[str, Any]) -> tuple[str, str]:
    """One (path, readable text) for a pydantic error dict; never echoes a header value."""
    loc, kind = tuple(err["loc"]), err["type"]
    if kind == "extra_forbidden":
        key = str(loc[-1])
        close = difflib.get_close_matches(key, _KNOWN_KEYS, n=1)
        hint = f"did you mean {close[0]!r}?" if close else "remove it"
        return _path(loc[:-1]) or "(top level)", f"unknown key {key!r}; {hint}"
    text = err["msg"].removeprefix("Value error, ")
    hint = _HINTS.get(kind)
    if kind == "missing":
        hint = f"add {str(loc[-1])!r}"
    elif kind == "too_short" and loc[-1] == "_names":
        hint = "list at least one tool name or pattern, or omit `_filter` to allow every tool"
    elif kind == "literal_error":
        hint = f"use one of {err.get('ctx', {}).get('expected', 'the allowed values')}"
    # Header/env values may be misplaced secrets and URLs may carry credentials: never echo those.
    sensitive = loc[-1] in ("value", "_url")
    given = err.get("input")
    if not sensitive and kind != "missing" and isinstance(given, str | int | float) and len(str(given)) < 80:
        text += f" (got {given!r})"
    return _path(loc), f"{text}. Fix: {hint}" if hint else text


def _parse(model: type[Any], doc: Mapping[str, Any] | str | bytes) -> Any:
    """Validate `doc` against `model`, turning ValidationError into a readable ConfigError."""
    try:
        if isinstance(doc, str | bytes):
            doc = json.loads(doc)
        # by_name=False: a document must use the `_` keys, so `names` for `_names` is a reported typo.
        return model.model_validate(doc, by_alias=True, by_name=False)
    except json.JSONDecodeError as exc:
        raise ConfigError.invalid(model.__name__, [("", f"not valid JSON: {exc}")]) from None
    except ValidationError as exc:
        raise ConfigError.invalid(model.__name__, [_explain(e) for e in exc.errors()]) from None


# --- the desktop-client `mcpServers` shape --------------------------------------------------------

_ENTRY_KEYS = {"url", "headers", "command", "args", "env", "type", "transport", "disabled"}
_TYPES = {
    "http": "streamable-http",
    "streamable-http": "streamable-http",
    "streamableHttp": "streamable-http",
    "sse": "sse",
    "stdio": "stdio",
}


def _header(where: str, value: Any) -> dict[str, str]:
    """`${VAR}` becomes a secret reference to VAR; any other string stays a literal."""
    if not isinstance(value, str):
        raise ConfigError.invalid("mcpServers document", [(where, "must be a string. Fix: quote the value")])
    if match := _ENV_REF.match(value):
        return {"type": "secret", "value": match.group(1)}
    if "${" in value:
        raise ConfigError.invalid(
            "mcpServers document",
            [
                (
                    where,
                    "only a whole value `${VAR}` can reference a secret. Fix: store the complete "
                    "header value (e.g. 'Bearer <token>') in VAR and write \"${VAR}\"",
                )
            ],
        )
    return {"type": "literal", "value": value}


def load_mcp_servers_json(
    doc: Mapping[str, Any] | str | bytes, namespaces: list[str] | None = None
) -> dict[str, ExternalMCPServerConfig]:
    """Map a desktop-client `{"mcpServers": {...}}` document onto ExternalMCPServerConfig, keyed by userType.

    Args:
        doc: the document, as a dict or JSON text.
        namespaces: namespaces given to every server (the shape has none); default `["default"]`.

    Raises:
        ConfigError: the document or one entry is invalid; the message names the entry and key.
    """
    data = json.loads(doc) if isinstance(doc, str | bytes) else doc
    servers = data.get("mcpServers") if isinstance(data, Mapping) else None
    if not isinstance(servers, Mapping):
        raise ConfigError.invalid(
            "mcpServers document", [("mcpServers", 'missing. Fix: {"mcpServers": {"name": {...}}}')]
        )
    out: dict[str, ExternalMCPServerConfig] = {}
    for name, entry in servers.items():
        where = f"mcpServers.{name}"
        if not isinstance(entry, Mapping):
            raise ConfigError.invalid("mcpServers document", [(where, "must be a JSON object")])
        unknown = sorted(set(entry) - _ENTRY_KEYS)
        if unknown:
            raise ConfigError.invalid(
                "mcpServers document", [(where, f"unknown keys {unknown}; supported: {sorted(_ENTRY_KEYS)}")]
            )
        if entry.get("disabled"):
            continue
        kind = (
            entry.get("type")
            or entry.get("transport")
            or ("stdio" if "command" in entry else "streamable-http")
        )
        if kind not in _TYPES:
            raise ConfigError.invalid(
                "mcpServers document",
                [(f"{where}.type", f"unknown transport {kind!r}; use one of {sorted(_TYPES)}")],
            )
        connection: dict[str, Any] = {"_transport": _TYPES[kind]}
        for key in ("url", "command", "args"):
            if key in entry:
                connection[f"_{key}"] = entry[key]
        for key in ("headers", "env"):
            items = entry.get(key) or {}
            connection[f"_{key}"] = {k: _header(f"{where}.{key}.{k}", v) for k, v in items.items()}
        user_type = re.sub(r"\W", "_", name)
        user_type = user_type if re.match(IDENTIFIER, user_type) else f"_{user_type}"
        try:
            out[user_type] = ExternalMCPServerConfig.parse(
                {
                    "_name": name,
                    "_userType": user_type,
                    "_namespaces": namespaces or ["default"],
                    "_connection": connection,
                }
            )
        except ConfigError as exc:
            raise ConfigError.invalid(f"mcpServers entry {name!r}", exc.problems) from None
    return out
