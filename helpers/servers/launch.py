"""The one launcher for every server process the workbook starts (MCP servers, mcp-proxy, the auth gate).

Each process writes its output to a log file (a pipe nobody reads would fill up and block it),
dies with the kernel that started it, and is stopped with its whole process tree. Starting the
same server twice from one kernel returns the running one, so a notebook cell is safe to re-run.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, Self

import httpx
import psutil

from helpers.errors import ServerStartError
from helpers.ports import free_port, wait_for_port

Transport = Literal["stdio", "streamable-http", "sse"]
_PR_SET_PDEATHSIG = 1


class StopsOnExit:
    """`with server:` stops it on the way out; subclasses define `stop()`."""

    def stop(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def die_with_parent() -> None:
    """`preexec_fn` for Popen: on Linux, the child gets SIGTERM when its parent dies.

    A kernel killed by Jupyter never runs its atexit hooks, so servers it started (which sit in
    their own session, out of reach of Ctrl-C) would be orphaned without this. Elsewhere: no-op.
    """
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError):
            ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def spawn(
    command: Sequence[str],
    log_path: Path,
    env: Mapping[str, str] | None = None,
    cwd: str | Path | None = None,
) -> subprocess.Popen[bytes]:
    """Start `command` with stdout and stderr appended to `log_path`, in a session of its own."""
    with open(log_path, "ab") as log:
        return subprocess.Popen(
            list(command),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=dict(os.environ if env is None else env),
            cwd=cwd,
            start_new_session=True,  # a Ctrl-C meant for the kernel does not reach it
            preexec_fn=die_with_parent,
        )


def stop_processes(processes: Sequence[subprocess.Popen[bytes]], timeout: float = 5.0) -> None:
    """Terminate processes and all their descendants at once; kill whatever outlives `timeout` seconds."""
    family: list[psutil.Process] = []
    for process in processes:
        with contextlib.suppress(psutil.NoSuchProcess):
            parent = psutil.Process(process.pid)
            family += [parent, *parent.children(recursive=True)]
    for member in family:
        with contextlib.suppress(psutil.NoSuchProcess):
            member.terminate()
    _, alive = psutil.wait_procs(family, timeout=timeout)
    for member in alive:
        with contextlib.suppress(psutil.NoSuchProcess):
            member.kill()
    psutil.wait_procs(alive, timeout=timeout)
    for process in processes:
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=timeout)  # reap our direct children so no zombie stays behind


def log_tail(path: Path | None, lines: int = 20) -> str:
    """The last `lines` lines of a log file, or a note saying there is none."""
    if path is None:
        return "(no log)"
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return f"(no log at {path})"
    return "\n".join(text.splitlines()[-lines:]) or "(log is empty)"


def poll_http(
    send: Callable[[], httpx.Response],
    ready: Callable[[httpx.Response], bool],
    *,
    deadline: float,
    alive: Callable[[], bool],
    what: str,
    interval: float = 0.1,
) -> httpx.Response:
    """Repeat `send()` until `ready(reply)`; fail when the process dies or `deadline` (monotonic) passes.

    A port that listens is not yet a server that answers (a model still loading, a proxy still
    spawning its child): readiness is one real request that succeeds.
    """
    last = "no answer"
    while time.monotonic() < deadline:
        if not alive():
            raise TimeoutError(f"the server exited before {what}")
        try:
            reply = send()
            if ready(reply):
                return reply
            last = f"HTTP {reply.status_code}: {reply.text[:200]}"
        except httpx.HTTPError as exc:
            last = repr(exc)
        time.sleep(interval)
    raise TimeoutError(f"{what} did not happen in time: {last}")


def new_log(prefix: str) -> Path:
    """A fresh log file in the temporary folder."""
    return Path(tempfile.mkstemp(prefix=f"{prefix}-", suffix=".log")[1])


@dataclass(kw_only=True)
class ManagedProcess(StopsOnExit):
    """A process the launcher started: its log, whether it runs, and a stop for its whole tree."""

    process: subprocess.Popen[bytes] = field(repr=False)
    log_path: Path = field(repr=False)

    @property
    def pid(self) -> int:
        return self.process.pid

    def is_running(self) -> bool:
        return self.process.poll() is None

    def logs(self, lines: int = 20) -> str:
        return log_tail(self.log_path, lines)

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the process tree (idempotent)."""
        stop_processes([self.process], timeout)


@dataclass(kw_only=True)
class ServerProcess(ManagedProcess):
    """A running `python -m helpers.servers.NAME --transport ... --port N` process."""

    module: str
    transport: Transport
    port: int

    @property
    def url(self) -> str:
        """The MCP endpoint: …/mcp for streamable HTTP, …/sse for SSE."""
        return f"http://127.0.0.1:{self.port}/{'sse' if self.transport == 'sse' else 'mcp'}"


_RUNNING: dict[tuple[object, ...], ServerProcess] = {}


def start_server(
    module: str,
    transport: Transport = "streamable-http",
    env: Mapping[str, str] | None = None,
    timeout: float = 20.0,
    cwd: str | Path | None = None,
    inherit_env: bool = True,
) -> ServerProcess:
    """Start `python -m module --transport T --port <free>` and wait until it listens.

    Called again with the same arguments while that server still runs, it returns the running
    server instead of starting a second one (re-running a notebook cell is safe).

    Args:
        env: variables for the server; added to this process's environment unless `inherit_env` is False.
        cwd: the server's working directory (the servers never depend on it).

    Raises:
        ServerStartError: the server exited or did not listen in time; the message has its log.
    """
    key = (module, transport, tuple(sorted((env or {}).items())), str(cwd), inherit_env)
    running = _RUNNING.get(key)
    if running is not None and running.is_running():
        return running
    port = free_port()
    log_path = new_log(module.rsplit(".", 1)[-1])
    command = [sys.executable, "-m", module, "--transport", transport, "--port", str(port)]
    process = spawn(command, log_path, {**(os.environ if inherit_env else {}), **(env or {})}, cwd)
    server = ServerProcess(module=module, transport=transport, port=port, process=process, log_path=log_path)
    atexit.register(server.stop)
    try:
        wait_for_port(port, timeout=timeout, alive=server.is_running)
    except TimeoutError as exc:
        server.stop()
        raise ServerStartError(f"{module} did not start: {exc}\nIts log:\n{server.logs()}") from None
    _RUNNING[key] = server
    return server
