"""Notebook 01 reproduces seed 002 offline: logs, memory, CPU, then an answer naming the memory limit."""

import re

import pytest

pytestmark = pytest.mark.notebook


def test_raw_loop_reproduces_the_seed(run_notebook):
    records = run_notebook("01_raw_json_tool_loop.ipynb").records
    assert records["tool_calls"] == [
        "get_kubernetes_pod_logs",
        "get_kubernetes_pod_memory_data",
        "get_kubernetes_pod_cpu_data",
    ]
    assert records["turns"] == 4
    assert records["http_requests"] == 4  # one chat request per turn, nothing else
    answer = records["final_answer"].lower()
    assert "out-of-memory" in answer and "limit of 1gi" in answer
    assert records["answered_by"] == "standin-cassette:seed-002-qwen3-4b"


def test_raw_loop_never_prints_the_key(run_notebook):
    run = run_notebook("01_raw_json_tool_loop.ipynb")
    # The stand-in's key is "standin-" plus 24 random URL-safe characters, new every run.
    assert not re.search(r"standin-[A-Za-z0-9_-]{24}", run.outputs_text())
