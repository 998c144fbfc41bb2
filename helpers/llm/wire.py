"""Capture the HTTP exchanges between a client and the model endpoint, secrets redacted; smooth strict servers.

The clients `WireLog.http_client()` / `async_http_client()` make send every request through a
`PortableTransport`: it records each exchange *as it went over the wire* (after any rewrite), and it
applies "be conservative in what you send, liberal in what you accept" to chat completions:

* a request's assistant or tool message whose `content` is null or missing is sent with `"content": ""`
  (llama-cpp-python's server answers HTTP 500 to a null assistant `content` and to a missing tool one,
  llama.cpp's llama-server refuses a missing tool one, and Ollama a null tool one, which some clients
  send for an empty tool result);
* a non-streamed reply whose message has `tool_calls` *and* the deprecated `function_call` loses
  `function_call` (Autogen's OpenAIChatCompletionClient raises on it).

Nothing else is changed, a body that is not JSON passes untouched, and each change is noted in
`Exchange.adjusted`. Streamed (SSE) replies pass untouched too: Autogen 0.7.5's `create_stream` never
reads a delta's `function_call` (it raises only on `finish_reason` "function_call"), so none is
dropped. For a plain `httpx.Client` (notebook 1), `httpx_hooks()` logs without rewriting.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass, field
from typing import Any

import openai

from helpers.redact import redact_headers

log = logging.getLogger(__name__)

STREAMED = "(streamed as server-sent events)"
_FORGET = ("content-length", "content-encoding", "transfer-encoding")  # headers that describe the old bytes


def _json_or_text(raw: bytes) -> Any:
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return raw.decode("utf-8", "replace")


def _is_chat(url: Any) -> bool:
    return str(url).split("?")[0].rstrip("/").endswith("/chat/completions")


def _is_sse(headers: Any) -> bool:
    return "text/event-stream" in headers.get("content-type", "")


def portable_request_body(body: Any) -> list[str]:
    """Make assistant and tool messages acceptable to strict servers, in place; return the notes.

    Null or missing `content` becomes "" (see the module docstring for who refuses which), and
    tool-call `arguments` that are not a JSON object become "{}" (Ollama and vLLM answer 400 otherwise).
    System and user messages are left as they are.
    """
    notes: list[str] = []
    messages = body.get("messages") if isinstance(body, dict) else None
    for index, message in enumerate(messages if isinstance(messages, list) else []):
        if not isinstance(message, dict) or message.get("role") not in ("assistant", "tool"):
            continue
        if message.get("content") is None:
            notes.append(
                f'messages[{index}].content: {"missing" if "content" not in message else "null"} -> ""'
            )
            message["content"] = ""
        calls = message.get("tool_calls")
        for number, call in enumerate(calls if isinstance(calls, list) else []):
            function = call.get("function") if isinstance(call, dict) else None
            if isinstance(function, dict) and not is_json_object(function.get("arguments")):
                notes.append(
                    f'messages[{index}].tool_calls[{number}].function.arguments: not a JSON object -> "{{}}"'
                )
                function["arguments"] = "{}"
    return notes


def is_json_object(text: Any) -> bool:
    """True for a string holding one JSON object: what strict servers accept as tool-call `arguments`."""
    try:
        return isinstance(text, str) and isinstance(json.loads(text), dict)
    except ValueError:
        return False


def portable_response_body(body: Any) -> list[str]:
    """Drop `function_call` from each message that also has `tool_calls`, in place; return the notes."""
    notes: list[str] = []
    choices = body.get("choices") if isinstance(body, dict) else None
    if not isinstance(choices, list):
        return notes
    for index, choice in enumerate(choices):
        message = choice.get("message") if isinstance(choice, dict) else None
        if (
            isinstance(message, dict)
            and message.get("tool_calls")
            and message.get("function_call") is not None
        ):
            del message["function_call"]
            notes.append(f"choices[{index}].message.function_call dropped")
    return notes


def _dumps(body: Any) -> bytes:
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


@dataclass
class Exchange:
    """One HTTP request to the model endpoint and its response, as they went over the wire."""

    method: str
    url: str
    request_headers: dict[str, str]
    request_body: Any
    status: int | None = None
    response_body: Any = None
    seconds: float | None = None
    started: float = field(default_factory=time.monotonic, repr=False)
    adjusted: list[str] = field(
        default_factory=list
    )  # what PortableTransport changed, e.g. 'messages[2].content: null -> ""'


class PortableTransport:
    """An httpx (or httpx2) transport, sync and async, that wraps the real one; see the module docstring.

    Args:
        inner: the real transport (`httpx.HTTPTransport`, `httpx2.AsyncHTTPTransport`, a MockTransport...).
        wire: a WireLog to record each exchange into, or None.
        module: the `httpx` or `httpx2` module whose Request/Response to build; default: the inner transport's.
    """

    def __init__(self, inner: Any, wire: WireLog | None = None, module: Any = None) -> None:
        self.inner = inner
        self.wire = wire
        self._module = module

    def _httpx(self, request: Any) -> Any:
        if self._module is None:
            import importlib

            self._module = importlib.import_module(type(request).__module__.split(".")[0])
        return self._module

    # -- requests ----------------------------------------------------------------------------------------
    def _rewrite_request(self, request: Any) -> tuple[Any, list[str], Any]:
        """The request to send, the notes, and the body to log. Never raises."""
        try:
            raw = request.content
        except Exception:  # a streamed upload (RequestNotRead): not ours to read
            return request, [], "(streamed request body)"
        try:
            body = _json_or_text(raw)
            if not _is_chat(request.url) or not isinstance(body, dict):
                return request, [], body
            notes = portable_request_body(body)
            if not notes:
                return request, [], body
            httpx = self._httpx(request)
            headers = httpx.Headers(request.headers)
            headers.pop("content-length", None)
            rewritten = httpx.Request(
                request.method,
                request.url,
                headers=headers,
                content=_dumps(body),
                extensions=request.extensions,
            )
            return rewritten, notes, body
        except Exception:  # the shim must never break a request
            log.exception("PortableTransport could not rewrite a request; sending it as it was")
            return request, [], _json_or_text(raw) if isinstance(raw, bytes) else None

    # -- responses ---------------------------------------------------------------------------------------
    def _rebuild_response(self, request: Any, response: Any, raw: bytes) -> tuple[Any, list[str], Any]:
        """The response for the client (from the raw, still-encoded bytes), the notes, the body to log."""
        httpx = self._httpx(response)
        try:
            decoded = httpx.Response(response.status_code, headers=response.headers, content=raw).content
            body = _json_or_text(decoded)
            notes = (
                portable_response_body(body) if _is_chat(request.url) and response.status_code == 200 else []
            )
            if notes:
                headers = httpx.Headers(response.headers)
                for name in _FORGET:
                    headers.pop(name, None)
                fresh = httpx.Response(
                    response.status_code,
                    headers=headers,
                    content=_dumps(body),
                    extensions=response.extensions,
                    request=request,
                )
                return fresh, notes, body
        except Exception:
            log.exception("PortableTransport could not read a response; passing it on as it was")
            body, notes = None, []
        same = httpx.Response(
            response.status_code,
            headers=response.headers,
            stream=httpx.ByteStream(raw),
            extensions=response.extensions,
            request=request,
        )
        return same, [], body

    def _decoded(self, response: Any) -> Any:
        """A stand-in for a response that was read already: same status and extensions, headers of decoded bytes."""
        headers = self._httpx(response).Headers(response.headers)
        if headers.pop("content-encoding", None) is not None:
            headers.pop("content-length", None)
        return self._httpx(response).Response(
            response.status_code, headers=headers, extensions=response.extensions
        )

    def _start(self, request: Any, body: Any, notes: list[str]) -> Exchange | None:
        if self.wire is None:
            return None
        exchange = Exchange(
            request.method, str(request.url), redact_headers(request.headers), body, adjusted=list(notes)
        )
        self.wire.exchanges.append(exchange)
        return exchange

    @staticmethod
    def _finish(exchange: Exchange | None, response: Any, body: Any, notes: list[str]) -> None:
        if exchange is not None:
            exchange.status = response.status_code
            exchange.response_body = body
            exchange.adjusted.extend(notes)
            exchange.seconds = round(time.monotonic() - exchange.started, 4)

    def _passed_through(self, exchange: Exchange | None, response: Any) -> bool:
        """A streamed (SSE) reply goes to the caller untouched: logged as STREAMED, never buffered."""
        if _is_sse(response.headers):
            self._finish(exchange, response, STREAMED, [])
            return True
        return False

    def _complete(self, exchange: Exchange | None, request: Any, response: Any, raw: bytes) -> Any:
        response, more, body = self._rebuild_response(request, response, raw)
        self._finish(exchange, response, body, more)
        return response

    # The sync and async twins below differ only in how they forward and read; the rest is shared above.
    def handle_request(self, request: Any) -> Any:
        request, notes, logged = self._rewrite_request(request)
        exchange = self._start(request, logged, notes)
        response = self.inner.handle_request(request)
        if self._passed_through(exchange, response):
            return response
        if hasattr(response, "_content"):  # already read (MockTransport): its bytes are decoded
            return self._complete(exchange, request, self._decoded(response), response.content)
        try:
            raw = b"".join(response.iter_raw())
        finally:
            response.close()
        return self._complete(exchange, request, response, raw)

    async def handle_async_request(self, request: Any) -> Any:
        request, notes, logged = self._rewrite_request(request)
        exchange = self._start(request, logged, notes)
        response = await self.inner.handle_async_request(request)
        if self._passed_through(exchange, response):
            return response
        if hasattr(response, "_content"):
            return self._complete(exchange, request, self._decoded(response), response.content)
        try:
            raw = b"".join([chunk async for chunk in response.aiter_raw()])
        finally:
            await response.aclose()
        return self._complete(exchange, request, response, raw)

    def close(self) -> None:
        self.inner.close()

    async def aclose(self) -> None:
        await self.inner.aclose()

    def __enter__(self) -> PortableTransport:
        return self

    def __exit__(self, *args: Any) -> None:
        self.close()

    async def __aenter__(self) -> PortableTransport:
        return self

    async def __aexit__(self, *args: Any) -> None:
        await self.aclose()


def make_portable(client: Any, wire: WireLog | None = None) -> Any:
    """Wrap every transport of an httpx/httpx2 client (its default one and proxy mounts) in a PortableTransport."""
    client._transport = PortableTransport(client._transport, wire)
    client._mounts = {
        pattern: None if transport is None else PortableTransport(transport, wire)
        for pattern, transport in client._mounts.items()
    }
    return client


class WireLog:
    """A list of exchanges, filled by the transports (or the hooks) of the clients it made."""

    def __init__(self) -> None:
        self.exchanges: list[Exchange] = []

    def __len__(self) -> int:
        return len(self.exchanges)

    def since(self, mark: int) -> WireLog:
        """A new log of the exchanges from index `mark` on: take `len(wire.exchanges)` just before a run, call
        this just after it, and the result holds that run alone, for the viewer, whatever ran before or after."""
        run = WireLog()
        run.exchanges = self.exchanges[mark:]
        return run

    def chat_exchanges(self) -> list[Exchange]:
        return [e for e in self.exchanges if _is_chat(e.url)]

    def _on_request(self, request: Any) -> None:
        headers = redact_headers(request.headers)
        self.exchanges.append(
            Exchange(request.method, str(request.url), headers, _json_or_text(request.content))
        )

    def _finish(self, response: Any, body: Any) -> None:
        for exchange in reversed(self.exchanges):
            if exchange.status is None and exchange.url == str(response.request.url):
                exchange.status = response.status_code
                exchange.response_body = body
                exchange.seconds = round(time.monotonic() - exchange.started, 4)
                return

    def _on_response(self, response: Any) -> None:
        self._finish(response, STREAMED if _is_sse(response.headers) else _json_or_text(response.read()))

    async def _on_response_async(self, response: Any) -> None:
        self._finish(
            response, STREAMED if _is_sse(response.headers) else _json_or_text(await response.aread())
        )

    def httpx_hooks(self) -> dict[str, list[Any]]:
        """Event hooks for a plain sync `httpx.Client(event_hooks=...)` that log into this WireLog (no rewriting)."""
        return {"request": [self._on_request], "response": [self._on_response]}

    def transport(self, inner: Any) -> PortableTransport:
        """A PortableTransport around `inner` that logs into this WireLog."""
        return PortableTransport(inner, self)

    def http_client(self, **kwargs: Any) -> openai.DefaultHttpxClient:
        """A sync HTTP client for the openai SDK, through a PortableTransport that logs into this WireLog."""
        return make_portable(openai.DefaultHttpxClient(**kwargs), self)

    def async_http_client(self, **kwargs: Any) -> openai.DefaultAsyncHttpxClient:
        """An async HTTP client for the openai SDK (or Autogen's `http_client=`), through a PortableTransport."""
        return make_portable(openai.DefaultAsyncHttpxClient(**kwargs), self)


__all__ = [
    "Exchange",
    "PortableTransport",
    "WireLog",
    "make_portable",
    "portable_request_body",
    "portable_response_body",
]
