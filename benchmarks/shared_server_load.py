"""The workshop case: one cluster MCP server over streamable HTTP, 50 learners calling it at once.

Starts `python -m helpers.servers.cluster --transport streamable-http` (one process), opens 50
concurrent client sessions (McpConnection.http) and makes 20 tool calls in each, cycling through
the four tools, all bounded by a deadline. Prints a table, then one JSON line:
{"clients", "calls", "errors", "p50_ms", "p95_ms", ...}.

    .venv/bin/python benchmarks/shared_server_load.py [--clients 50] [--calls 20] [--deadline 120]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
from collections import Counter

from helpers.mcp_client.connection import McpConnection
from helpers.servers.launch import start_server

POD = {"namespace": "default", "pod_name": "billing-service-v1-abcdef", "container_name": "istio-proxy"}
CALLS = [
    ("get_kubernetes_pod_logs", POD),
    ("get_kubernetes_pod_memory_data", POD),
    ("get_kubernetes_pod_cpu_data", POD),
    ("run_postgres_query", {"sql_query": "SELECT count(*) AS n FROM invoices"}),
]


async def learner(url: str, index: int, calls: int, latencies: dict[str, list[float]], errors: Counter) -> None:
    try:
        connection = await McpConnection.http(url, timeout=60)
    except Exception as exc:
        errors[f"connect: {type(exc).__name__}"] += calls
        return
    try:
        for n in range(calls):
            name, arguments = CALLS[(index + n) % len(CALLS)]
            started = time.perf_counter()
            try:
                result = await connection.call_tool(name, arguments, timeout=60)
                if result.isError:
                    errors[f"{name}: tool error"] += 1
                    continue
            except Exception as exc:
                errors[f"{name}: {type(exc).__name__}"] += 1
                continue
            latencies[name].append((time.perf_counter() - started) * 1000)
    finally:
        await connection.close()


def percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1] if len(values) > 1 else values[0]


async def main(clients: int, calls: int, deadline: float) -> dict:
    server = await asyncio.to_thread(start_server, "helpers.servers.cluster", "streamable-http")
    latencies: dict[str, list[float]] = {name: [] for name, _ in CALLS}
    errors: Counter = Counter()
    started = time.perf_counter()
    try:
        tasks = [asyncio.create_task(learner(server.url, i, calls, latencies, errors)) for i in range(clients)]
        done, pending = await asyncio.wait(tasks, timeout=deadline)
        for task in pending:
            task.cancel()
        if pending:
            errors["deadline exceeded (sessions cancelled)"] += len(pending)
        connection = await McpConnection.http(server.url)
        served = (await connection.stats())["total"]
        await connection.close()
    finally:
        server.stop()
    wall = time.perf_counter() - started
    every = [v for values in latencies.values() for v in values]
    rows = [(name, len(v), percentile(v, 50), percentile(v, 95)) for name, v in latencies.items() if v]
    print(f"{clients} concurrent sessions x {calls} calls on one streamable-HTTP cluster server, {wall:.1f} s wall")
    print(f"{'tool':34} {'calls':>6} {'p50 ms':>8} {'p95 ms':>8}")
    for name, count, p50, p95 in rows:
        print(f"{name:34} {count:6d} {p50:8.1f} {p95:8.1f}")
    print(f"{'all':34} {len(every):6d} {percentile(every, 50):8.1f} {percentile(every, 95):8.1f}")
    print(f"errors: {sum(errors.values())} {dict(errors) or ''}; calls the server counted: {served}")
    return {"clients": clients, "calls": len(every) + sum(errors.values()), "errors": sum(errors.values()),
            "p50_ms": round(percentile(every, 50), 1), "p95_ms": round(percentile(every, 95), 1),
            "wall_s": round(wall, 1), "calls_per_s": round(len(every) / wall, 1), "server_counted": served}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--calls", type=int, default=20)
    parser.add_argument("--deadline", type=float, default=120)
    options = parser.parse_args()
    print(json.dumps(asyncio.run(main(options.clients, options.calls, options.deadline))))
