"""Notebooks 01 and 02, offline, with the stand-in replaying what a real small model did.

data/real_replies/cassettes/ holds cassettes recorded with `RECORD = True` from llama-cpp-python's
server and SmolLM2-135M (BACKEND "openai-compatible", MAX_TURNS 3): every request the notebook sent
and every reply the model gave, mistakes included: made-up namespaces, the same call again and again.
With WORKBOOK_CASSETTE_DIR pointing there, the stand-in replays those replies while the conversation
matches, so each notebook meets the real model's mistakes with no model and no server to build, and
must stop the way tests/interop demands of a live run: at an assertion in a notebook cell whose message
explains what the model did. (Recorded by running the notebooks under papermill with allow_errors, so
that the RECORD cell at the end still ran after the loop's check had failed.)
"""

from __future__ import annotations

import json

import pytest
from papermill.exceptions import PapermillExecutionError

from helpers.settings import DATA_DIR
from tests.support.notebooks import EXECUTED, NOTEBOOKS, execute, explains, last_frame

pytestmark = pytest.mark.notebook

CASSETTES = DATA_DIR / "real_replies" / "cassettes"
# notebook -> words its stop must contain: what the recorded model did, as the workbook explains it
STOPS = {
    "01_raw_json_tool_loop": "still asked for tools after 3 turns; it made 3 tool call(s) (get_kubernetes_pod_cpu_data), "
    "and 3 of them failed, the last with: namespace 'MyPodName' not found",
    "02_mcp_server_and_client": "the turn limit was reached before the model answered: no answer after 3 model turns",
}


@pytest.mark.parametrize("name", sorted(STOPS))
def test_the_real_models_mistakes_replayed_offline_stop_with_an_explanation(
    name: str, monkeypatch, tmp_path
) -> None:
    recorded = (CASSETTES / f"{name}-smollm2-135m.json").read_text(encoding="utf-8")
    cassette = json.loads(recorded)
    assert cassette["recorded_model"] == "smollm2-135m" and cassette["exchanges"]
    # This notebook's cassette alone: 01 and 02 open with the same request (the seed's), so with both in
    # one folder the stand-in would answer 02's first turn from 01's recording.
    (tmp_path / f"{name}-smollm2-135m.json").write_text(recorded, encoding="utf-8")
    monkeypatch.setenv("WORKBOOK_CASSETTE_DIR", str(tmp_path))
    output = EXECUTED / f"{name}-replaying-smollm2.ipynb"
    with pytest.raises(PapermillExecutionError) as stopped:
        execute(NOTEBOOKS / f"{name}.ipynb", output, {"BACKEND": "standin", "MAX_TURNS": 3})
    error = stopped.value
    assert error.ename == "AssertionError" and last_frame(error.traceback).startswith("Cell In["), (
        f"{name} stopped on {error.ename} at {last_frame(error.traceback)}: {error.evalue[:300]}"
    )
    assert explains(error.evalue) and STOPS[name] in error.evalue, error.evalue
    # the replies came from the cassette, labelled as the stand-in's replay of it, not from the planner
    assert f"standin-cassette:{name}-smollm2-135m" in output.read_text(encoding="utf-8")
