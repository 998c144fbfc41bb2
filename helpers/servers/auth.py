"""The one bearer-token check, for every server of the workbook that asks for one.

`bearer_problem` reads an `Authorization` header and says what is wrong with it (RFC 6750 error
codes), `same_secret` compares in constant time, and `BearerTokenMiddleware` puts the check in
front of any ASGI app (the weather server, the auth gate in front of mcp-proxy).
"""

from __future__ import annotations

import hmac

from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send


def same_secret(given: str | None, expected: str) -> bool:
    """True when `given` equals `expected`; the time taken does not depend on where they differ."""
    return given is not None and hmac.compare_digest(given.encode(), expected.encode())


def bearer_token(authorization: str | None) -> str | None:
    """The token of an `Authorization: Bearer <token>` header value, or None for any other shape."""
    scheme, _, token = (authorization or "").partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


def bearer_problem(authorization: str | None, expected: str) -> tuple[str, str] | None:
    """None when the header carries `expected`, else (RFC 6750 error code, what to fix)."""
    if not authorization:
        return "invalid_request", "missing header; send 'Authorization: Bearer <token>'"
    token = bearer_token(authorization)
    if token is None:
        return (
            "invalid_request",
            "the Authorization header must read 'Bearer <token>' (scheme 'Bearer', a "
            "space, then the token); check the secret holds the whole header value",
        )
    if not same_secret(token, expected):
        return "invalid_token", "the bearer token is not the one this server expects"
    return None


def unauthorized(error: str, description: str, realm: str) -> JSONResponse:
    """The RFC 6750 style 401 answer, with a JSON body a reader can act on."""
    return JSONResponse(
        {"error": error, "error_description": description},
        status_code=401,
        headers={"WWW-Authenticate": f'Bearer realm="{realm}", error="{error}"'},
    )


class BearerTokenMiddleware:
    """ASGI middleware: HTTP requests without `Authorization: Bearer <token>` get a 401 JSON answer."""

    def __init__(self, app: ASGIApp, token: str, realm: str = "mcp") -> None:
        if not token:
            raise ValueError("a bearer-token check needs a non-empty token")
        self.app, self.realm, self._token = app, realm, token

    def __repr__(self) -> str:
        return f"BearerTokenMiddleware(realm={self.realm!r}, token=<redacted>)"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":  # lifespan events must reach the app: they start the session manager
            await self.app(scope, receive, send)
            return
        problem = bearer_problem(Headers(scope=scope).get("authorization"), self._token)
        if problem is None:
            await self.app(scope, receive, send)
        else:
            await unauthorized(*problem, realm=self.realm)(scope, receive, send)
