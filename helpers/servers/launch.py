"""Start a workbook MCP server as its own process over HTTP, and stop it cleanly."""

from __future__ import annotations

import atexit
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from ..ports import free_port, wait_for_port
from ..processes import die_with_parent


@dataclass
class ServerProcess:
    """A running `python -m helpers.servers.NAME --transport ... --port N` process."""

    module: str
    transport: str
    port: int
    process: subprocess.Popen = field(repr=False)
    log_path: Path = field(repr=False)

    @property
    def url(self) -> str:
        """The MCP endpoint: …/mcp for streamable HTTP, …/sse for SSE."""
        return f"http://127.0.0.1:{self.port}/{'sse' if self.transport == 'sse' else 'mcp'}"

    def logs(self, lines: int = 20) -> str:
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def stop(self, timeout: float = 5.0) -> None:
        """Terminate the process (kill it if it does not exit within `timeout`)."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout)

    def __enter__(self) -> ServerProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start_server(module: str, transport: str = "streamable-http", env: dict[str, str] | None = None,
                 timeout: float = 20.0, cwd: str | Path | None = None, inherit_env: bool = True) -> ServerProcess:
    """Start `python -m module --transport T --port <free>` and wait until it listens.

    Args:
        env: variables for the server; added to this process's environment unless `inherit_env` is False.
        cwd: the server's working directory (the servers never depend on it).

    Raises:
        TimeoutError: the server exited or did not listen in time; the message has its log.
    """
    port = free_port()
    log_path = Path(tempfile.mkstemp(prefix=f"{module.rsplit('.', 1)[-1]}-", suffix=".log")[1])
    with open(log_path, "w") as log:
        process = subprocess.Popen([sys.executable, "-m", module, "--transport", transport, "--port", str(port)],
                                   stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                   env={**(os.environ if inherit_env else {}), **(env or {})}, cwd=cwd,
                                   preexec_fn=die_with_parent)  # no orphan when the kernel is killed
    server = ServerProcess(module, transport, port, process, log_path)
    atexit.register(server.stop)
    try:
        wait_for_port(port, timeout=timeout, alive=lambda: process.poll() is None)
    except TimeoutError as exc:
        server.stop()
        raise TimeoutError(f"{exc}\n{module} log:\n{server.logs()}") from None
    return server
