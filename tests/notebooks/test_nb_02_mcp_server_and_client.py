"""Notebook 02: the cluster MCP server over stdio and streamable HTTP, the loop helper, a refused write."""

import pytest

pytestmark = pytest.mark.notebook

SEED_ORDER = ["get_kubernetes_pod_logs", "get_kubernetes_pod_memory_data", "get_kubernetes_pod_cpu_data"]


def test_mcp_server_and_client(run_notebook):
    records = run_notebook("02_mcp_server_and_client.ipynb").records
    assert records["mcp_tools"] == SEED_ORDER + ["run_postgres_query"]
    assert records["tool_calls"] == SEED_ORDER
    assert records["server_calls"] == len(records["tool_calls"])  # counted by the server process itself
    assert "memory" in records["final_answer"].lower() and "limit" in records["final_answer"].lower()
    assert records["sql_write_refused"] is True
    assert records["http_tool_calls"] == SEED_ORDER and records["http_server_calls"] == 3
