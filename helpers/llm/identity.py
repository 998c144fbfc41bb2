"""A local App Service-style managed-identity token endpoint, so azure-identity runs offline.

Azure App Service gives each app two variables, `IDENTITY_ENDPOINT` and `IDENTITY_HEADER`;
azure-identity's `ManagedIdentityCredential` (through MSAL) then sends
`GET {IDENTITY_ENDPOINT}?api-version=2019-08-01&resource=...` with the header
`X-IDENTITY-HEADER: {IDENTITY_HEADER}` and reads `access_token`, `expires_on`, `resource` and
`token_type` from the JSON reply. This module answers that request on 127.0.0.1 with random
opaque tokens, and lets a local server check the Bearer tokens it receives with `is_valid`.
"""

from __future__ import annotations

import atexit
import json
import os
import secrets
import threading
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from helpers.redact import fingerprint
from helpers.servers.launch import StopsOnExit

TOKEN_PATH = "/msi/token"
API_VERSION = "2019-08-01"  # what azure-identity 1.27 / MSAL 1.39 send for App Service
# Audiences a workbook scenario may ask for; anything else is refused like a typo would be.
DEFAULT_RESOURCES = (
    "https://cognitiveservices.azure.com",
    "https://management.azure.com",
    "https://vault.azure.net",
    "https://storage.azure.com",
    "https://ossrdbms-aad.database.windows.net",
)


@dataclass(frozen=True)
class IssuedToken:
    """What the endpoint handed out, minus the secret itself (only its short SHA-256 fingerprint)."""

    fingerprint: str
    resource: str
    client_id: str
    expires_on: int

    @property
    def expired(self) -> bool:
        """True once the expiry time has passed."""
        return time.time() >= self.expires_on


class IdentityEndpoint(StopsOnExit):
    """The running token endpoint; use `start_identity_endpoint()` to create one."""

    def __init__(self, resources: Iterable[str] = DEFAULT_RESOURCES, token_lifetime: int = 3600) -> None:
        self.header_secret = secrets.token_urlsafe(24)
        self.client_id = str(uuid.uuid4())  # the system-assigned identity's made-up client id
        self.token_lifetime = token_lifetime
        self.resources = frozenset(r.rstrip("/") for r in resources)
        self.token_requests = 0
        self._tokens: dict[str, IssuedToken] = {}
        self._lock = threading.Lock()
        # Port 0: the kernel picks a free port at bind time, so there is no race with other services
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _make_handler(self))
        self._server.daemon_threads = True
        # A short poll interval keeps stop() quick; shutdown() waits for the next poll
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), name="identity-endpoint", daemon=True
        )

    @property
    def port(self) -> int:
        """The TCP port the endpoint listens on."""
        return self._server.server_address[1]

    @property
    def endpoint(self) -> str:
        """The URL to put in `IDENTITY_ENDPOINT`."""
        return f"http://127.0.0.1:{self.port}{TOKEN_PATH}"

    def env(self) -> dict[str, str]:
        """The variables that make azure-identity pick App Service managed identity and call this endpoint."""
        return {"IDENTITY_ENDPOINT": self.endpoint, "IDENTITY_HEADER": self.header_secret}

    @property
    def issued(self) -> list[IssuedToken]:
        """Every token issued so far, oldest first (fingerprints only, never the tokens)."""
        with self._lock:
            return list(self._tokens.values())

    def is_valid(self, token: str, resource: str | None = None) -> bool:
        """Return True if `token` came from this endpoint, has not expired, and (if given) is for `resource`."""
        with self._lock:
            issued = self._tokens.get(token)
        if issued is None or issued.expired:
            return False
        return resource is None or issued.resource == resource.rstrip("/")

    def issue(self, resource: str, client_id: str | None = None) -> tuple[str, IssuedToken]:
        """Mint a random opaque token for `resource`; the HTTP handler calls this."""
        token = secrets.token_urlsafe(32)
        record = IssuedToken(
            fingerprint=fingerprint(token),
            resource=resource,
            client_id=client_id or self.client_id,
            expires_on=int(time.time()) + self.token_lifetime,
        )
        with self._lock:
            self._tokens[token] = record
        return token, record

    def _count_request(self) -> None:
        with self._lock:
            self.token_requests += 1

    def start(self) -> IdentityEndpoint:
        """Serve in a daemon thread; returns self."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and release the port; safe to call twice."""
        if self._thread.is_alive():
            self._server.shutdown()
            self._thread.join(timeout=5)
        self._server.server_close()

    def __repr__(self) -> str:
        # Deliberately leaves out header_secret and the tokens: reprs end up in notebook outputs
        return (
            f"IdentityEndpoint(endpoint={self.endpoint!r}, token_requests={self.token_requests}, "
            f"issued={len(self._tokens)})"
        )


def start_identity_endpoint(
    resources: Iterable[str] = DEFAULT_RESOURCES, token_lifetime: int = 3600
) -> IdentityEndpoint:
    """Start a managed-identity token endpoint on a free 127.0.0.1 port.

    Args:
        resources: the audiences it issues tokens for (without "/.default"); others get a 400.
        token_lifetime: seconds each token stays valid.

    Returns:
        The running endpoint; put `endpoint.env()` into `os.environ` and call `stop()` (or use `with`).
    """
    return IdentityEndpoint(resources, token_lifetime).start()


def _make_handler(owner: IdentityEndpoint) -> type[BaseHTTPRequestHandler]:
    """Build the request handler class bound to `owner`."""

    class Handler(BaseHTTPRequestHandler):
        server_version = "workbook-identity/1"

        def do_GET(self) -> None:  # noqa: N802 - name fixed by http.server
            url = urlsplit(self.path)
            if url.path != TOKEN_PATH:
                return self._error(
                    HTTPStatus.NOT_FOUND, f"no such path {url.path!r}; tokens are at {TOKEN_PATH}"
                )
            owner._count_request()
            header = self.headers.get("X-IDENTITY-HEADER")
            if header is None:
                return self._error(HTTPStatus.UNAUTHORIZED, "the X-IDENTITY-HEADER header is missing")
            if not secrets.compare_digest(header.encode(), owner.header_secret.encode()):
                return self._error(
                    HTTPStatus.FORBIDDEN, "the X-IDENTITY-HEADER value does not match IDENTITY_HEADER"
                )
            query = {key: values[-1] for key, values in parse_qs(url.query).items()}
            if query.get("api-version") != API_VERSION:
                return self._error(
                    HTTPStatus.BAD_REQUEST,
                    f"api-version must be {API_VERSION!r}, got {query.get('api-version')!r}",
                )
            resource = query.get("resource", "").rstrip("/")
            if resource not in owner.resources:
                return self._error(
                    HTTPStatus.BAD_REQUEST,
                    f"unknown resource {query.get('resource', '')!r}; known: {', '.join(sorted(owner.resources))}",
                )
            token, record = owner.issue(resource, query.get("client_id"))
            self._send(
                HTTPStatus.OK,
                {
                    "access_token": token,
                    "expires_on": str(record.expires_on),  # App Service sends epoch seconds as a string
                    "resource": query["resource"],
                    "token_type": "Bearer",
                    "client_id": record.client_id,
                },
            )

        def _error(self, status: HTTPStatus, message: str) -> None:
            # App Service's error shape is {statusCode, message}; MSAL quotes both in its exception
            self._send(status, {"statusCode": int(status), "message": message, "error": status.phrase})

        def _send(self, status: HTTPStatus, body: dict[str, Any]) -> None:
            payload = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - signature fixed by http.server
            pass  # quiet: access logs would clutter notebook output

    return Handler


_shared: IdentityEndpoint | None = None


def shared_identity_endpoint() -> IdentityEndpoint:
    """The local managed-identity endpoint of this process, started on first use and stopped at exit."""
    global _shared
    if _shared is None:
        _shared = start_identity_endpoint()
        atexit.register(_shared.stop)
    return _shared


def point_azure_identity_at(endpoint: IdentityEndpoint) -> None:
    """Make azure-identity's managed-identity step call `endpoint`, as App Service would.

    azure-identity reads IDENTITY_ENDPOINT and IDENTITY_HEADER only from the process environment, so
    this function writes them into `os.environ`: the one place the workbook changes the environment.
    """
    os.environ.update(endpoint.env())
