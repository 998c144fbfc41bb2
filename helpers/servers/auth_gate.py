"""A front for a local MCP HTTP service (mcp-proxy): counts its tool calls, and checks a bearer token if given one.

Run it as `python -m helpers.servers.auth_gate --port N --upstream http://127.0.0.1:M`, with the token in
the environment variable named by TOKEN_ENV (never on the command line, where `ps` would show it);
or with `--open` and no token, as a counting front only. With a token, requests without
`Authorization: Bearer <token>` get 401 with a JSON body and `WWW-Authenticate`. The rest are
forwarded with httpx, and responses (including SSE streams) are streamed back as they arrive,
headers such as `mcp-session-id` included.

Every JSON-RPC `tools/call` request it forwards is counted by tool name, on the server side of the
wire (mcp-proxy and mcp-server-time count nothing themselves); `GET /workbook/stats` answers
`{"tool_calls": {name: n}, "total": n}`, behind the same token check.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
from collections import Counter
from collections.abc import AsyncIterator
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from helpers.servers.auth import bearer_problem, unauthorized

TOKEN_ENV = "AUTH_GATE_TOKEN"
STATS_PATH = "/workbook/stats"

# Hop-by-hop headers (RFC 9110 7.6.1) describe one connection, not the message: never forward them.
# `host` is rebuilt by httpx for the upstream; `authorization` stays at the gate.
_HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "proxy-connection",
}
_DROP_REQUEST = _HOP_BY_HOP | {"proxy-authorization", "host", "content-length", "authorization"}
_DROP_RESPONSE = _HOP_BY_HOP | {"proxy-authenticate"}
_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD"]


async def _relay(reply: httpx.Response) -> AsyncIterator[bytes]:
    """Yield the upstream body as it arrives; end quietly if the upstream drops a long SSE stream."""
    # aiter_raw passes bytes through undecoded, so content-encoding and content-length stay true.
    try:
        async for chunk in reply.aiter_raw():
            yield chunk
    except httpx.HTTPError:
        return  # the client sees the stream end, as it would without the gate


class ToolCallCounter:
    """Counts the JSON-RPC `tools/call` requests in request bodies, by tool name."""

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()

    def observe(self, body: bytes) -> None:
        """Count the `tools/call` requests in one HTTP body (one JSON-RPC message or a batch)."""
        try:
            message: Any = json.loads(body)
        except ValueError:
            return  # not JSON: not a JSON-RPC request, nothing to count
        for item in message if isinstance(message, list) else [message]:
            if isinstance(item, dict) and item.get("method") == "tools/call":
                params = item.get("params")
                name = params.get("name") if isinstance(params, dict) else None
                self.calls[name if isinstance(name, str) else "<no name>"] += 1

    def snapshot(self) -> dict[str, Any]:
        """Counts as a JSON-ready dict, the shape of the workbook servers' `workbook://stats`."""
        return {"tool_calls": dict(self.calls), "total": sum(self.calls.values())}


def create_app(upstream: str, token: str | None) -> Starlette:
    """Build the gate's ASGI app.

    Args:
        upstream: base URL of the protected service, e.g. `http://127.0.0.1:8123`.
        token: the bearer token clients must send; None for an open front that only counts.

    Raises:
        ValueError: the token is an empty string (pass None to run without a token check).
    """
    if token is not None and not token:
        raise ValueError(f"the auth gate needs a non-empty token; set {TOKEN_ENV}, or pass None to run open")
    holder: dict[str, httpx.AsyncClient] = {}
    counter = ToolCallCounter()

    def refused(request: Request) -> Response | None:
        if token is None:
            return None
        if (problem := bearer_problem(request.headers.get("authorization"), token)) is not None:
            return unauthorized(*problem, realm="mcp")
        return None

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        # No read timeout: a GET /mcp SSE stream stays open for as long as the client wants it.
        async with httpx.AsyncClient(base_url=upstream, timeout=httpx.Timeout(30.0, read=None)) as client:
            holder["client"] = client
            yield

    async def stats(request: Request) -> Response:
        return refused(request) or JSONResponse(counter.snapshot())

    async def forward(request: Request) -> Response:
        if (refusal := refused(request)) is not None:
            return refusal
        client = holder["client"]
        headers = [(k, v) for k, v in request.headers.items() if k.lower() not in _DROP_REQUEST]
        body = await request.body()
        upstream_request = client.build_request(
            request.method,
            request.url.path,
            params=request.url.query or None,
            headers=headers,
            content=body,
        )
        try:
            reply = await client.send(upstream_request, stream=True)
        except httpx.HTTPError as exc:
            return JSONResponse(
                {"error": "bad_gateway", "error_description": f"upstream {upstream}: {exc}"}, status_code=502
            )
        if request.method == "POST":
            counter.observe(body)  # the upstream has it: a call the server was asked to serve
        reply_headers = {k: v for k, v in reply.headers.items() if k.lower() not in _DROP_RESPONSE}
        return StreamingResponse(
            _relay(reply),
            status_code=reply.status_code,
            headers=reply_headers,
            background=BackgroundTask(reply.aclose),
        )

    routes = [Route(STATS_PATH, stats, methods=["GET"]), Route("/{path:path}", forward, methods=_METHODS)]
    app = Starlette(routes=routes, lifespan=lifespan)
    app.router.redirect_slashes = False  # /mcp and /mcp/ go upstream untouched
    return app


def main(argv: list[str] | None = None) -> None:
    """Serve the gate on 127.0.0.1 until interrupted."""
    import uvicorn

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True, help="public port to listen on")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--upstream", required=True, help="base URL of the protected service")
    parser.add_argument(
        "--open",
        action="store_true",
        help=f"no token check (count tool calls only); {TOKEN_ENV} must be unset",
    )
    args = parser.parse_args(argv)
    token = os.environ.get(TOKEN_ENV, "")
    if args.open and token:
        parser.error(f"--open runs without a token check, but {TOKEN_ENV} is set: use one or the other")
    if not args.open and not token:
        parser.error(
            f"set the environment variable {TOKEN_ENV} to the bearer token clients must send, or pass --open"
        )
    app = create_app(args.upstream, None if args.open else token)
    uvicorn.run(app, host=args.host, port=args.port, log_level="info")


if __name__ == "__main__":
    main()
