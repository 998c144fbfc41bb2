"""The real local model (llama-cpp-python + SmolLM2-135M): seconds per chat request by llama.cpp thread
count, on a quiet machine and beside one busy core (as when the test suite runs in two processes).

The request is notebook 02's first turn: the seed's system prompt, the user's problem and the cluster
server's four tools, tool_choice "auto". Each row is the median of 3 requests, after one warm-up.
Needs `bash scripts/llama-server.sh` first. Prints a table, then one JSON line.

    .venv/bin/python benchmarks/local_model_threads.py
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time

import httpx

from helpers.llm.local_model import start_local_model
from helpers.scenarios import (
    get_kubernetes_pod_cpu_data,
    get_kubernetes_pod_logs,
    get_kubernetes_pod_memory_data,
    run_postgres_query,
)
from helpers.toolloop import function_to_openai

TOOLS = [
    function_to_openai(f)
    for f in (
        get_kubernetes_pod_cpu_data,
        get_kubernetes_pod_memory_data,
        get_kubernetes_pod_logs,
        run_postgres_query,
    )
]
MESSAGES = [
    {
        "role": "system",
        "content": "If you need more data to troubleshoot, you response must be have valid JSON "
        "object containing a 'tool_calls' array.",
    },
    {
        "role": "user",
        "content": "My istio-proxy sidecar is failing in the billing-service-v1-abcdef pod in default "
        "namespace. please troubleshoot and find the root cause. you can use tools provided",
    },
]


def seconds_per_request(base_url: str, model: str, repeats: int = 3) -> float:
    times = []
    with httpx.Client(timeout=600) as http:
        for attempt in range(repeats + 1):
            started = time.perf_counter()
            body = {
                "model": model,
                "messages": MESSAGES,
                "tools": TOOLS,
                "tool_choice": "auto",
                "temperature": 0,
                "seed": attempt,
            }
            http.post(f"{base_url}/chat/completions", json=body).raise_for_status()
            if attempt:  # the first one warms the cache
                times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> dict:
    rows = {}
    for threads in (1, 2):
        model = start_local_model(setup=False, threads=threads, timeout=120)
        try:
            rows[f"{threads} thread(s), quiet"] = seconds_per_request(model.base_url, model.model)
            hog = subprocess.Popen([sys.executable, "-c", "while True: pass"])
            try:
                rows[f"{threads} thread(s), one core busy"] = seconds_per_request(model.base_url, model.model)
            finally:
                hog.kill()
                hog.wait()
        finally:
            model.stop()
    for name, value in rows.items():
        print(f"{name:32} {value:7.2f} s")
    return {name: round(value, 2) for name, value in rows.items()}


if __name__ == "__main__":
    print(json.dumps(main()))
