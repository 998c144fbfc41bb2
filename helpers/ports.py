"""Free loopback ports and bounded readiness waits for the local services."""

from __future__ import annotations

import socket
import time


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, host: str = "127.0.0.1", timeout: float = 15.0, alive=None) -> None:
    """Block until something accepts TCP connections on host:port.

    Args:
        port: the port to probe.
        host: loopback host to probe.
        timeout: seconds before giving up.
        alive: optional callable; when it returns False (the process died) stop waiting at once.

    Raises:
        TimeoutError: nothing listened within `timeout` seconds, or `alive()` turned False.
    """
    deadline = time.monotonic() + timeout
    delay = 0.01
    while time.monotonic() < deadline:
        if alive is not None and not alive():
            raise TimeoutError(f"the process meant to listen on {host}:{port} exited before it was ready")
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return
        except OSError:
            time.sleep(delay)
            delay = min(delay * 2, 0.2)
    raise TimeoutError(f"nothing listened on {host}:{port} within {timeout:.0f} s")
