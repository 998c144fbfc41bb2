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


def _code_cells(name: str) -> list[str]:
    import nbformat

    from tests.support.notebooks import NOTEBOOKS

    return [
        c.source for c in nbformat.read(str(NOTEBOOKS / name), as_version=4).cells if c.cell_type == "code"
    ]


def test_plain_server_and_client_come_before_the_helpers():
    code = _code_cells("02_mcp_server_and_client.ipynb")

    def first(text: str) -> int:
        return next(i for i, source in enumerate(code) if text in source)

    server = first("@mcp.tool(")
    assert code[server].startswith("%%writefile {SERVER_FILE}")
    raw_client = first("stdio_client(")
    assert all(
        step in code[raw_client]
        for step in ("ClientSession(", ".initialize()", ".list_tools()", ".call_tool(")
    )
    assert server < raw_client < first("McpConnection.stdio(") < first("run_tool_loop(")


def test_first_server_annotations_each_mistake_and_the_viewer(run_notebook):
    records = run_notebook("02_mcp_server_and_client.ipynb").records
    assert records["first_server_tools"] == ["get_kubernetes_pod_memory_data", "run_postgres_query"]
    assert records["first_server_protocol"] == "2025-11-25"
    assert records["first_sql_annotations"] == {
        "readOnlyHint": True,
        "destructiveHint": False,
        "idempotentHint": True,
    }
    assert records["sql_annotations"] == {"readOnlyHint": True, "idempotentHint": True}
    assert records["mistake_problems"] == ["bad_json", "bad_arguments", "unknown_tool"]
    assert records["viewer"] is True and records["cassette"] is None
