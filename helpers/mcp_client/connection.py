"""Open MCP sessions (stdio, streamable HTTP, SSE) that stay open across notebook cells.

An MCP client session lives inside async context managers (anyio task groups) that must be
exited by the task that entered them, and each notebook cell runs as its own task. So each
connection is owned by one background task that opens the transport and the session, and
closes them when asked; any cell can use `connection.session` in between.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import tempfile
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import anyio
from mcp import ClientSession, StdioServerParameters, types
from mcp.client.sse import sse_client
from mcp.client.stdio import stdio_client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client
from mcp.shared.exceptions import McpError
from pydantic import AnyUrl

from helpers.errors import McpConnectionError

# Where every workbook MCP server publishes the tool calls it counted (helpers.servers.stats).
STATS_URI = "workbook://stats"


class McpConnection:
    """One open MCP client session, owned by a background task.

    Use `await McpConnection.stdio(...)`, `.http(url)` or `.sse(url)`, then `.session`, `.call_tool`,
    `.list_tools`, `.stats()`, and `await connection.close()` (or `async with`).
    """

    def __init__(
        self, label: str, opener: Callable[[], AbstractAsyncContextManager[Any]], errlog: Path | None = None
    ) -> None:
        self.label = label
        self._opener = opener
        self.errlog = errlog
        self.session: ClientSession | None = None
        self.server_name: str | None = None
        self._ready = asyncio.Event()
        self._closing = asyncio.Event()
        self._error: BaseException | None = None
        self._task: asyncio.Task | None = None

    def __repr__(self) -> str:
        state = "open" if self.is_open else "closed"
        return f"<McpConnection {self.label} ({self.server_name or '?'}) {state}>"

    # --- opening --------------------------------------------------------------------------
    @classmethod
    async def stdio(
        cls, module: str, *args: str, env: dict[str, str] | None = None, timeout: float = 30.0
    ) -> McpConnection:
        """Start `python -m module args...` as a subprocess and talk MCP over its stdin/stdout.

        The child gets this process's environment (plus `env`), so settings such as
        WORKBOOK_KB_PATH reach it; its stderr goes to a log file (`.errlog`), not Jupyter's.
        """
        params = StdioServerParameters(
            command=sys.executable, args=["-m", module, *args], env={**os.environ, **(env or {})}
        )
        errlog = Path(tempfile.mkstemp(prefix=f"mcp-{module.rsplit('.', 1)[-1]}-", suffix=".log")[1])

        def opener():
            return _stdio_with_log(params, errlog)

        return await cls(f"stdio: python -m {module}", opener, errlog)._start(timeout)

    @classmethod
    async def http(
        cls, url: str, headers: dict[str, str] | None = None, timeout: float = 30.0
    ) -> McpConnection:
        """Connect over streamable HTTP to `url` (e.g. http://127.0.0.1:8000/mcp), with optional headers."""

        def opener():
            return _http_transport(url, headers)

        return await cls(f"streamable HTTP: {url}", opener)._start(timeout)

    @classmethod
    async def sse(
        cls, url: str, headers: dict[str, str] | None = None, timeout: float = 30.0
    ) -> McpConnection:
        """Connect over the older HTTP+SSE transport to `url` (e.g. http://127.0.0.1:8000/sse)."""

        def opener():
            return sse_client(url, headers=headers)

        return await cls(f"SSE: {url}", opener)._start(timeout)

    async def _start(self, timeout: float) -> McpConnection:
        self._task = asyncio.create_task(self._own(), name=f"mcp-connection {self.label}")
        try:
            await asyncio.wait_for(self._ready.wait(), timeout)
        except TimeoutError:
            await self.close()
            raise McpConnectionError(
                f"{self.label}: no MCP handshake within {timeout:.0f} s.{self._log_tail()}"
            ) from None
        if self._error is not None:
            raise McpConnectionError(
                f"{self.label}: could not open the session: {_describe(self._error)}.{self._log_tail()}"
            ) from self._error
        return self

    async def _own(self) -> None:
        try:
            async with AsyncExitStack() as stack:
                streams = await stack.enter_async_context(self._opener())
                session = await stack.enter_async_context(ClientSession(streams[0], streams[1]))
                result = await session.initialize()
                self.session, self.server_name = session, result.serverInfo.name
                self._ready.set()
                await self._closing.wait()
        except BaseException as exc:  # kept and re-raised as a clear error in the caller's task
            self._error = exc
        finally:
            self.session = None
            self._ready.set()

    def _log_tail(self, lines: int = 15) -> str:
        if self.errlog is None or not self.errlog.exists():
            return ""
        tail = self.errlog.read_text(errors="replace").strip().splitlines()[-lines:]
        return ("\nServer stderr (last lines):\n" + "\n".join(tail)) if tail else ""

    # --- using ----------------------------------------------------------------------------
    @property
    def is_open(self) -> bool:
        return (
            self.session is not None
            and self._task is not None
            and not self._task.done()
            and not self._closing.is_set()
        )

    def _require(self) -> ClientSession:
        if not self.is_open:
            why = f" ({_describe(self._error)})" if self._error else ""
            raise McpConnectionError(
                f"{self.label}: the session is closed{why}. Open a new connection.{self._log_tail()}"
            )
        return self.session  # type: ignore[return-value]

    async def list_tools(self) -> list[types.Tool]:
        """The server's tools (all pages)."""
        session, tools, cursor = self._require(), [], None
        while True:
            page = await session.list_tools(cursor=cursor) if cursor else await session.list_tools()
            tools += page.tools
            cursor = page.nextCursor
            if not cursor:
                return tools

    async def call_tool(
        self, name: str, arguments: dict[str, Any] | None = None, timeout: float | None = 30.0
    ) -> types.CallToolResult:
        """Call a tool; a dead server or a timeout raises McpConnectionError instead of hanging."""
        session, owner = self._require(), self._task
        read_timeout = timedelta(seconds=timeout) if timeout else None
        request = asyncio.ensure_future(
            session.call_tool(name, arguments or {}, read_timeout_seconds=read_timeout)
        )
        try:
            # A pending request is not told when the transport dies (e.g. an HTTP server killed):
            # wait on the task that owns the session too, so a dead server fails at once.
            done, _ = await asyncio.wait(
                {request, owner},
                timeout=timeout + 1 if timeout else None,
                return_when=asyncio.FIRST_COMPLETED,
            )
        except BaseException:
            request.cancel()
            raise
        if request not in done:
            request.cancel()
            if owner.done():
                raise McpConnectionError(
                    f"{self.label}: the server went away during {name!r}: "
                    f"{_describe(self._error)}.{self._log_tail()}"
                )
            raise McpConnectionError(f"{self.label}: tool {name!r} gave no answer within {timeout} s.")
        try:
            return request.result()
        except Exception as exc:
            lost = isinstance(exc, anyio.ClosedResourceError | anyio.BrokenResourceError) or (
                isinstance(exc, McpError) and exc.error.code == types.CONNECTION_CLOSED
            )
            if lost or not self.is_open:
                self._error = self._error or exc
                self._closing.set()  # the session cannot be used again: let its task close the transport
                raise McpConnectionError(
                    f"{self.label}: the server went away during {name!r}: {_describe(exc)}.{self._log_tail()}"
                ) from exc
            raise

    async def stats(self) -> dict[str, Any]:
        """Tool calls the server itself counted (every workbook server publishes them at STATS_URI)."""
        return await read_stats(self._require())

    async def close(self) -> None:
        """Close the session and the transport (for stdio: the server process ends)."""
        self._closing.set()
        if self._task is not None:
            try:
                await asyncio.wait_for(asyncio.shield(self._task), 10)
            except TimeoutError:
                self._task.cancel()

    async def __aenter__(self) -> McpConnection:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()


async def read_stats(session: ClientSession) -> dict[str, Any]:
    """The tool-call counts a workbook MCP server publishes at STATS_URI, read over `session`."""
    result = await session.read_resource(AnyUrl(STATS_URI))
    return json.loads(result.contents[0].text)  # type: ignore[union-attr]


def _describe(exc: BaseException | None) -> str:
    """The innermost useful message of an exception or exception group."""
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    return f"{type(exc).__name__}: {exc}" if exc else "unknown error"


@asynccontextmanager
async def _stdio_with_log(params: StdioServerParameters, errlog: Path) -> AsyncIterator[Any]:
    """stdio_client with the server's stderr in a real file (Jupyter's stderr has no usable fileno)."""
    with open(errlog, "a", encoding="utf-8") as log:
        async with stdio_client(params, errlog=log) as streams:
            yield streams


@asynccontextmanager
async def _http_transport(url: str, headers: dict[str, str] | None) -> AsyncIterator[Any]:
    """streamable_http_client with an httpx client that sends `headers` on every request."""
    async with create_mcp_http_client(headers=headers) as client:
        async with streamable_http_client(url, http_client=client) as streams:
            yield streams
