"""A bearer-token gate in front of a local HTTP service (mcp-proxy has no server-side auth option).

Run it as `python -m helpers.servers.auth_gate --port N --upstream http://127.0.0.1:M`, with the token in
the environment variable named by TOKEN_ENV (never on the command line, where `ps` would show it).
Requests without `Authorization: Bearer <token>` get 401 with a JSON body and `WWW-Authenticate`;
the rest are forwarded with httpx, and responses (including SSE streams) are streamed back as they
arrive, headers such as `mcp-session-id` included.
"""

from __future__ import annotations

import argparse
import contextlib
import os
from collections.abc import AsyncIterator

import httpx
from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from helpers.servers.auth import bearer_problem, unauthorized

TOKEN_ENV = "AUTH_GATE_TOKEN"

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


def create_app(upstream: str, token: str) -> Starlette:
    """Build the gate's ASGI app.

    Args:
        upstream: base URL of the protected service, e.g. `http://127.0.0.1:8123`.
        token: the bearer token clients must send.

    Raises:
        ValueError: the token is empty.
    """
    if not token:
        raise ValueError(f"the auth gate needs a non-empty token; set {TOKEN_ENV}")
    holder: dict[str, httpx.AsyncClient] = {}

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        # No read timeout: a GET /mcp SSE stream stays open for as long as the client wants it.
        async with httpx.AsyncClient(base_url=upstream, timeout=httpx.Timeout(30.0, read=None)) as client:
            holder["client"] = client
            yield

    async def forward(request: Request) -> Response:
        if (problem := bearer_problem(request.headers.get("authorization"), token)) is not None:
            return unauthorized(*problem, realm="mcp")
        client = holder["client"]
        headers = [(k, v) for k, v in request.headers.items() if k.lower() not in _DROP_REQUEST]
        upstream_request = client.build_request(
            request.method,
            request.url.path,
            params=request.url.query or None,
            headers=headers,
            content=await request.body(),
        )
        try:
            reply = await client.send(upstream_request, stream=True)
        except httpx.HTTPError as exc:
            return JSONResponse(
                {"error": "bad_gateway", "error_description": f"upstream {upstream}: {exc}"}, status_code=502
            )
        reply_headers = {k: v for k, v in reply.headers.items() if k.lower() not in _DROP_RESPONSE}
        return StreamingResponse(
            _relay(reply),
            status_code=reply.status_code,
            headers=reply_headers,
            background=BackgroundTask(reply.aclose),
        )

    routes = [Route("/{path:path}", forward, methods=_METHODS)]
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
    args = parser.parse_args(argv)
    token = os.environ.get(TOKEN_ENV, "")
    if not token:
        parser.error(f"set the environment variable {TOKEN_ENV} to the bearer token clients must send")
    uvicorn.run(create_app(args.upstream, token), host=args.host, port=args.port, log_level="info")


if __name__ == "__main__":
    main()
