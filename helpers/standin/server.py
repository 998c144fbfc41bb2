"""The stand-in endpoint: a real HTTP server on 127.0.0.1 that speaks the Chat Completions protocol.

It is not a language model. Replies come from a cassette while the conversation matches one,
else from the deterministic planner. Routes: `GET /v1/models`, `POST /v1/chat/completions`
(plain and streamed), Azure's `/openai/deployments/{deployment}/chat/completions`, and
`/standin/stats` and `/standin/faults` for tests and troubleshooting cells.
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from helpers.ports import free_port
from helpers.servers.auth import bearer_token, same_secret

from .cassette import Cassette, load_all
from .faults import Fault, FaultPlan
from .planner import plan
from .validate import BadRequest, check_chat_request, check_strict
from .wire import STANDIN_MODEL, completion_body, error_body, stream_events

DEFAULT_DEPLOYMENT = "standin-deployment"
STRICT_ENV = "WORKBOOK_STANDIN_STRICT"  # "1": every StandIn built without `strict=` is strict


class StandIn:
    """A running (or ready to run) stand-in endpoint with its counts and faults.

    Args:
        api_key: the key clients must send (Bearer on /v1, `api-key` or Bearer on Azure routes);
            generated when not given. None of it is ever shown in a repr.
        model_ids: model ids `GET /v1/models` lists; each says it is a stand-in.
        deployments: Azure deployment names the Azure route accepts.
        token_verifier: accepts Azure AD-style Bearer tokens (for example a local managed-identity
            endpoint's `is_valid`).
        cassettes: recordings to replay; the files in `data/cassettes/` when not given.
        strict: also refuse (HTTP 400) request shapes OpenAI accepts but stricter OpenAI-compatible
            servers reject, such as `"content": null` on an assistant message (see
            `validate.STRICT_RULES`). None: strict when the environment variable
            WORKBOOK_STANDIN_STRICT is "1" when the stand-in is built (read once, here).
    """

    def __init__(
        self,
        *,
        api_key: str | None = None,
        model_ids: Iterable[str] = (STANDIN_MODEL,),
        deployments: Iterable[str] = (DEFAULT_DEPLOYMENT,),
        token_verifier: Callable[[str], bool] | None = None,
        cassettes: list[Cassette] | None = None,
        strict: bool | None = None,
    ) -> None:
        self.api_key = api_key or "standin-" + secrets.token_urlsafe(18)
        self.model_ids = list(model_ids)
        self.deployments = list(deployments)
        self.token_verifier = token_verifier
        self.cassettes = load_all() if cassettes is None else cassettes
        self.strict = os.environ.get(STRICT_ENV, "").strip() == "1" if strict is None else bool(strict)
        self.faults = FaultPlan()
        self.stats: Counter[str] = Counter()
        self.last_auth: str | None = None  # "bearer", "api-key" or "none", as seen on the last chat request
        self.requests_log: list[dict[str, Any]] = []  # bodies of chat requests, for lessons and tests
        self.port: int | None = None
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        state = f"running at {self.url}" if self.running else "stopped"
        return f"<StandIn (not a model) {state}, models={self.model_ids}, strict={self.strict}>"

    # --- life cycle -------------------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    @property
    def url(self) -> str:
        if self.port is None:
            raise RuntimeError("the stand-in is not started; call start() first")
        return f"http://127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        """The OpenAI-style base URL (…/v1)."""
        return self.url + "/v1"

    def start(self, port: int | None = None, timeout: float = 10.0) -> StandIn:
        """Serve on 127.0.0.1 (a free port unless given) from a background thread; wait until ready."""
        if self.running:
            return self
        self.port = port or free_port()
        config = uvicorn.Config(
            self.app(),
            host="127.0.0.1",
            port=self.port,
            log_level="warning",
            lifespan="off",
            access_log=False,
        )
        self._server = uvicorn.Server(config)

        def serve() -> None:
            # A fresh loop of its own: the kernel's loop may already be running in the main thread.
            loop = asyncio.new_event_loop()
            asyncio.set_event_loop(loop)
            loop.run_until_complete(self._server.serve())
            loop.close()

        self._thread = threading.Thread(target=serve, name="standin-endpoint", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise TimeoutError(f"the stand-in did not start on port {self.port} within {timeout} s")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        """Stop serving and wait for the thread to end."""
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._thread = None

    def __enter__(self) -> StandIn:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- faults and counts ------------------------------------------------------------------
    def inject(
        self,
        kind: str,
        times: int = 1,
        *,
        status: int = 500,
        retry_after: float | None = None,
        seconds: float = 0.0,
    ) -> None:
        """Make the next `times` chat requests misbehave: kind is 'status', 'slow' or 'ignore_tools'."""
        self.faults.add(Fault(kind, times, status, retry_after, seconds))

    def serve_model(self, model_id: str) -> None:
        """List `model_id` first in `GET /v1/models` (to pose as a given server); it must say stand-in."""
        if "standin" not in model_id.replace("-", "").lower():
            raise ValueError(
                f"model id {model_id!r} must contain 'standin': the stand-in never poses as a real model"
            )
        with self._lock:
            if model_id in self.model_ids:
                self.model_ids.remove(model_id)
            self.model_ids.insert(0, model_id)

    def clear_faults(self) -> None:
        self.faults.clear()

    def reset_stats(self) -> None:
        with self._lock:
            self.stats.clear()
            self.requests_log.clear()
            self.last_auth = None

    def snapshot(self) -> dict[str, Any]:
        """Counts as a JSON-ready dict (no keys, no bodies)."""
        with self._lock:
            return {
                "counts": dict(self.stats),
                "last_auth": self.last_auth,
                "faults": self.faults.pending(),
                "strict": self.strict,
            }

    # --- HTTP -------------------------------------------------------------------------------
    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/v1/models", self._models, methods=["GET"]),
                Route("/v1/chat/completions", self._openai_chat, methods=["POST"]),
                Route(
                    "/openai/deployments/{deployment}/chat/completions", self._azure_chat, methods=["POST"]
                ),
                Route("/standin/stats", self._stats, methods=["GET"]),
                Route("/standin/faults", self._faults, methods=["POST", "DELETE"]),
            ]
        )

    def _count(self, *keys: str, by: int = 1) -> None:
        with self._lock:
            for key in keys:
                self.stats[key] += by

    def _bearer(self, request: Request) -> str | None:
        return bearer_token(request.headers.get("authorization"))

    async def _models(self, request: Request) -> Response:
        self._count("requests", "model_list_requests")
        if not self._key_ok(self._bearer(request)):
            return self._unauthorized()
        data = [
            {"id": m, "object": "model", "created": 0, "owned_by": "workbook-standin (not a model)"}
            for m in self.model_ids
        ]
        return JSONResponse({"object": "list", "data": data})

    def _key_ok(self, given: str | None) -> bool:
        return same_secret(given, self.api_key)

    def _unauthorized(self, azure: bool = False) -> Response:
        self._count("errors_401")
        message = (
            "Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a "
            "valid key for an active subscription and use a correct regional API endpoint for your resource."
            if azure
            else "Incorrect API key provided. The stand-in expects the key it was started with."
        )
        return JSONResponse(
            error_body(message, "invalid_request_error", code="invalid_api_key"), status_code=401
        )

    async def _openai_chat(self, request: Request) -> Response:
        self._count("requests")
        auth = "bearer" if self._bearer(request) is not None else "none"
        if not self._key_ok(self._bearer(request)):
            return self._unauthorized()
        return await self._chat(request, auth, model=None)

    async def _azure_chat(self, request: Request) -> Response:
        self._count("requests", "azure_requests")
        deployment = request.path_params["deployment"]
        key, token = request.headers.get("api-key"), self._bearer(request)
        if key is not None:
            auth, ok = "api-key", self._key_ok(key)
        elif token is not None:
            auth = "bearer"
            ok = self.token_verifier is not None and self.token_verifier(token)
        else:
            auth, ok = "none", False
        self.last_auth = auth
        if not ok:
            return self._unauthorized(azure=True)
        if "api-version" not in request.query_params:
            return JSONResponse(
                error_body("Missing required query parameter 'api-version'.", param="api-version"),
                status_code=400,
            )
        if deployment not in self.deployments:
            self._count("errors_404")
            message = (
                f"The API deployment {deployment!r} does not exist on this stand-in. Deployments here: "
                f"{', '.join(self.deployments)}. Check AZURE_OPENAI_DEPLOYMENT_NAME."
            )
            return JSONResponse(
                {"error": {"code": "DeploymentNotFound", "message": message}}, status_code=404
            )
        return await self._chat(request, auth, model=deployment)

    async def _chat(self, request: Request, auth: str, model: str | None) -> Response:
        try:
            try:
                body = json.loads(await request.body())
            except ValueError as exc:
                raise BadRequest(f"The request body is not valid JSON: {exc}.") from exc
            check_chat_request(body, model_required=model is None)
            if self.strict:
                try:
                    check_strict(body)
                except BadRequest:
                    self._count("strict_rejections")
                    raise
            model = model or body["model"]
            if (
                model not in self.model_ids
                and not model.startswith("standin")
                and model not in self.deployments
            ):
                raise BadRequest(
                    f"The model {model!r} does not exist on this stand-in. It serves: "
                    f"{', '.join(self.model_ids)} (see GET /v1/models).",
                    param="model",
                    status=404,
                    code="model_not_found",
                )
            return await self._answer(body, model, auth)
        except BadRequest as exc:
            self._count(f"errors_{exc.status}")
            return JSONResponse(
                error_body(exc.message, param=exc.param, code=exc.code), status_code=exc.status
            )
        except Exception as exc:  # never crash the server thread: tell the client what broke
            self._count("errors_500")
            return JSONResponse(
                error_body(f"stand-in internal error: {type(exc).__name__}: {exc}", "server_error"),
                status_code=500,
            )

    async def _answer(self, body: dict[str, Any], model: str, auth: str) -> Response:
        faults = {f.kind: f for f in self.faults.take()}
        with self._lock:
            self.stats["chat_requests"] += 1
            number = self.stats["chat_requests"]
            self.last_auth = auth
            self.requests_log.append(body)
        if "slow" in faults:
            await asyncio.sleep(faults["slow"].seconds)
        if "status" in faults:
            fault = faults["status"]
            self._count(f"errors_{fault.status}", "faults_served")
            headers = {"retry-after": f"{fault.retry_after:g}"} if fault.retry_after is not None else {}
            kind = "rate_limit_exceeded" if fault.status == 429 else "server_error"
            return JSONResponse(
                error_body(f"stand-in fault injected on purpose: HTTP {fault.status}", kind),
                status_code=fault.status,
                headers=headers,
            )
        reply = None if "ignore_tools" in faults else self._replay(body)
        reply = reply or plan(body, number, ignore_tools="ignore_tools" in faults)
        self._count("tool_calls_requested", by=len(reply.tool_calls))
        self._count("replies_from_cassette" if reply.recorded else "replies_from_planner")
        result = completion_body(reply, model, body, number)
        if body.get("stream"):
            include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
            lines = (f"data: {event}\n\n" for event in stream_events(result, include_usage))
            return StreamingResponse(lines, media_type="text/event-stream")
        return JSONResponse(result)

    def _replay(self, body: dict[str, Any]):
        for cassette in self.cassettes:
            reply = cassette.match(body)
            if reply is not None:
                return reply
        return None

    async def _stats(self, request: Request) -> Response:
        return JSONResponse(self.snapshot())

    async def _faults(self, request: Request) -> Response:
        if request.method == "DELETE":
            self.clear_faults()
            return JSONResponse({"faults": []})
        try:
            spec = json.loads(await request.body())
            self.inject(**spec)
        except (ValueError, TypeError) as exc:
            return JSONResponse(
                error_body(
                    f"bad fault: {exc}. Send {{'kind': 'status'|'slow'|'ignore_tools', "
                    "'times': n, 'status': code, 'retry_after': s, 'seconds': s}}."
                ),
                status_code=400,
            )
        return JSONResponse({"faults": self.faults.pending()})
