"""Notebook 00 runs offline and finds the stand-in, a plain reply and a tool call."""

import json

import pytest

pytestmark = pytest.mark.notebook


def test_setup_notebook_offline(run_notebook):
    run = run_notebook("00_setup.ipynb")
    records = run.records
    assert records["backend"] == "standin"
    assert records["standin"] is True
    assert records["model"].startswith("standin")
    assert records["reachable"] is True
    assert records["tool_call_seen"] is True
    assert records["tool_call"]["name"] == "get_current_time"
    assert json.loads(records["tool_call"]["arguments"]) == {"timezone": "Europe/Paris"}
    assert records["http_requests"] == 2


def test_setup_notebook_labels_the_standin(run_notebook):
    text = run_notebook("00_setup.ipynb").outputs_text()
    assert "STAND-IN" in text and "not a language model" in text
