"""Notebook 02: the cluster MCP server over stdio and streamable HTTP, the loop helper, a refused write.

Offline, the stand-in answers both tool loops from the seed-002 cassette (the recorded qwen3-4b run),
as in notebook 01: the replies are the recorded ones only if the tool results matched byte for byte.
"""

import html
import json
import re

import pytest

from helpers.settings import DATA_DIR

pytestmark = pytest.mark.notebook

NOTEBOOK = "02_mcp_server_and_client.ipynb"
SEED_ORDER = ["get_kubernetes_pod_logs", "get_kubernetes_pod_memory_data", "get_kubernetes_pod_cpu_data"]
CASSETTE = "seed-002-qwen3-4b"


@pytest.fixture(scope="module")
def run(run_notebook):
    return run_notebook(NOTEBOOK)


def recorded_answer() -> str:
    """The final answer in the cassette, as qwen3-4b gave it."""
    exchanges = json.loads((DATA_DIR / "cassettes" / f"{CASSETTE}.json").read_text(encoding="utf-8"))[
        "exchanges"
    ]
    return exchanges[-1]["response"]["choices"][0]["message"]["content"]


def viewer_responses(run) -> list[dict]:
    """The response bodies of the stdio loop's exchanges, as the transcript viewer shows them (its HTML copy)."""
    bodies = re.findall(r"<summary>Response body</summary><pre>(.*?)</pre>", run.viewer_html(), re.S)
    return [json.loads(html.unescape(body)) for body in bodies]


def test_mcp_server_and_client(run):
    records = run.records
    assert records["mcp_tools"] == SEED_ORDER + ["run_postgres_query"]
    assert records["tool_calls"] == SEED_ORDER
    assert records["server_calls"] == 3  # counted by the server process itself
    assert records["sql_write_refused"] is True
    assert records["http_tool_calls"] == SEED_ORDER and records["http_server_calls"] == 3


def test_the_loop_was_answered_from_the_cassette(run):
    """Four turns (three tool calls, then the answer), each reply the recorded one, as in notebook 01."""
    responses = viewer_responses(run)
    assert len(responses) == 4  # one chat request per turn, nothing else
    assert [r.get("system_fingerprint") for r in responses] == [f"standin-cassette:{CASSETTE}"] * 4
    assert [
        c["function"]["name"] for r in responses[:3] for c in r["choices"][0]["message"]["tool_calls"]
    ] == (SEED_ORDER)
    assert run.records["final_answer"] == recorded_answer()
    records = run.records
    if "turns" in records or "answered_by" in records:  # once the notebook records them, as 01 does
        assert records["turns"] == 4
        assert records["answered_by"] == f"standin-cassette:{CASSETTE}"
