"""Capture the HTTP exchanges between a client and the model endpoint, secrets redacted.

The openai SDK accepts an `http_client`; its event hooks see each request and response, so
a notebook can show the JSON that really went over the wire, whatever the backend.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import openai

from .secrets import redact as redact_values

SECRET_HEADERS = {"authorization", "api-key", "x-api-key", "ocp-apim-subscription-key", "cookie"}
# Field names whose values are secrets wherever they appear in a JSON body.
SECRET_FIELDS = {"api_key", "api-key", "apikey", "authorization", "password", "access_token", "refresh_token",
                 "client_secret", "secret", "token"}
# Shapes of well-known credentials: OpenAI keys, Bearer values, JWTs (Entra ID tokens), stand-in keys.
SECRET_PATTERNS = [re.compile(p) for p in (
    r"sk-[A-Za-z0-9_-]{20,}", r"(?i)bearer\s+[A-Za-z0-9._~+/=-]{8,}",
    r"eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*", r"standin-[A-Za-z0-9_-]{24}")]
REDACTED = "<redacted>"


def redact(value: Any, secrets: Iterable[str] = ()) -> Any:
    """A copy of `value` (JSON-like) with secret fields, known secret values and key-shaped strings redacted."""
    known = [s for s in secrets if s and len(s) >= 8]
    if isinstance(value, dict):
        return {k: (REDACTED if str(k).lower() in SECRET_FIELDS and v else redact(v, known)) for k, v in value.items()}
    if isinstance(value, list):
        return [redact(v, known) for v in value]
    if isinstance(value, str):
        value = redact_values(value, known, REDACTED)
        for pattern in SECRET_PATTERNS:
            value = pattern.sub(REDACTED, value)
    return value


def find_secrets(value: Any, secrets: Iterable[str] = ()) -> list[str]:
    """Where `value` holds something secret-looking: JSON paths, never the secrets themselves."""
    found: list[str] = []
    known = [s for s in secrets if s and len(s) >= 8]

    def walk(node: Any, path: str) -> None:
        if isinstance(node, dict):
            for k, v in node.items():
                if str(k).lower() in SECRET_FIELDS and v:
                    found.append(f"{path}/{k}")
                else:
                    walk(v, f"{path}/{k}")
        elif isinstance(node, list):
            for i, v in enumerate(node):
                walk(v, f"{path}/{i}")
        elif isinstance(node, str) and (any(s in node for s in known) or any(p.search(node) for p in SECRET_PATTERNS)):
            found.append(path or "/")

    walk(value, "")
    return found


def _json_or_text(raw: bytes) -> Any:
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return raw.decode("utf-8", "replace")


@dataclass
class Exchange:
    """One HTTP request to the model endpoint and its response."""

    method: str
    url: str
    request_headers: dict[str, str]
    request_body: Any
    status: int | None = None
    response_body: Any = None
    seconds: float | None = None
    started: float = field(default_factory=time.monotonic, repr=False)


class WireLog:
    """A list of exchanges, filled by the hooks of the clients it made."""

    def __init__(self) -> None:
        self.exchanges: list[Exchange] = []

    def __len__(self) -> int:
        return len(self.exchanges)

    def chat_exchanges(self) -> list[Exchange]:
        return [e for e in self.exchanges if e.url.split("?")[0].endswith("/chat/completions")]

    def _on_request(self, request: Any) -> None:
        headers = {k: ("<redacted>" if k.lower() in SECRET_HEADERS else v) for k, v in request.headers.items()}
        self.exchanges.append(Exchange(request.method, str(request.url), headers, _json_or_text(request.content)))

    def _finish(self, response: Any, body: Any) -> None:
        for exchange in reversed(self.exchanges):
            if exchange.status is None and exchange.url == str(response.request.url):
                exchange.status = response.status_code
                exchange.response_body = body
                exchange.seconds = round(time.monotonic() - exchange.started, 4)
                return

    def _on_response(self, response: Any) -> None:
        streamed = "text/event-stream" in response.headers.get("content-type", "")
        self._finish(response, "(streamed as server-sent events)" if streamed else _json_or_text(response.read()))

    async def _on_response_async(self, response: Any) -> None:
        streamed = "text/event-stream" in response.headers.get("content-type", "")
        self._finish(response, "(streamed as server-sent events)" if streamed else _json_or_text(await response.aread()))

    def httpx_hooks(self) -> dict[str, list[Any]]:
        """Event hooks for a plain sync `httpx.Client(event_hooks=...)` that log into this WireLog."""
        return {"request": [self._on_request], "response": [self._on_response]}

    def http_client(self, **kwargs: Any) -> openai.DefaultHttpxClient:
        """A sync HTTP client for the openai SDK that logs into this WireLog."""
        return openai.DefaultHttpxClient(
            event_hooks={"request": [self._on_request], "response": [self._on_response]}, **kwargs)

    def async_http_client(self, **kwargs: Any) -> openai.DefaultAsyncHttpxClient:
        """An async HTTP client for the openai SDK that logs into this WireLog."""

        async def on_request(request: Any) -> None:
            self._on_request(request)

        return openai.DefaultAsyncHttpxClient(
            event_hooks={"request": [on_request], "response": [self._on_response_async]}, **kwargs)
