"""Capture the HTTP exchanges between a client and the model endpoint, secrets redacted.

The openai SDK accepts an `http_client`; its event hooks see each request and response, so
a notebook can show the JSON that really went over the wire, whatever the backend.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any

import openai

from helpers.redact import redact_headers


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
        headers = redact_headers(request.headers)
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
