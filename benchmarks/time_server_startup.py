"""What the counting front costs at startup: `start_time_server()` (mcp-proxy behind the front) vs mcp-proxy alone.

Interleaved rounds: (a) `start_time_server()` as the notebooks use it, the front
(`helpers.servers.auth_gate --open`) in front of mcp-proxy, ready when an MCP `initialize` through
the front succeeds; (b) the same mcp-proxy command alone, ready when `initialize` on its own port
succeeds. Both wait the same way (port open, then `initialize`). Prints a table, then one JSON line:
{"with_front_s", "proxy_alone_s" (medians), "front_cost_s" (difference of medians; target <= 0.5)}.

    .venv/bin/python benchmarks/time_server_startup.py [--rounds 4]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

from helpers.ports import free_port, wait_for_port
from helpers.servers.launch import spawn, stop_processes
from helpers.servers.time import _probe, _venv_executable, start_time_server


def with_front() -> float:
    started = time.monotonic()
    server = start_time_server(local_timezone="UTC")
    elapsed = time.monotonic() - started
    server.stop()
    return elapsed


def proxy_alone() -> float:
    port = free_port()
    command = [
        _venv_executable("mcp-proxy"),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--pass-environment",
        "--",
        _venv_executable("mcp-server-time"),
        "--local-timezone",
        "UTC",
    ]
    log = Path(tempfile.mkdtemp(prefix="time-mcp-bench-")) / "mcp-proxy.log"
    started = time.monotonic()
    process = spawn(command, log, dict(os.environ))
    try:
        wait_for_port(port, timeout=30, alive=lambda: process.poll() is None)
        _probe(f"http://127.0.0.1:{port}/mcp", {}, time.monotonic() + 30, lambda: process.poll() is None)
        return time.monotonic() - started
    finally:
        stop_processes([process])


def main(rounds: int) -> dict:
    front: list[float] = []
    alone: list[float] = []
    for _ in range(rounds):
        front.append(with_front())
        alone.append(proxy_alone())
    figures = {
        "with_front_s": round(statistics.median(front), 2),
        "proxy_alone_s": round(statistics.median(alone), 2),
    }
    figures["front_cost_s"] = round(figures["with_front_s"] - figures["proxy_alone_s"], 2)
    print(f"{'round':>5}  {'with front (s)':>14}  {'mcp-proxy alone (s)':>19}")
    for number, (a, b) in enumerate(zip(front, alone, strict=True), 1):
        print(f"{number:>5}  {a:>14.2f}  {b:>19.2f}")
    return figures


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=4)
    print(json.dumps(main(parser.parse_args().rounds)))
