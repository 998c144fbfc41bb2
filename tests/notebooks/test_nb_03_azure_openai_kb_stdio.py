"""Notebook 03 runs offline in both Azure auth modes, through the tool, and leaks no secret."""

from __future__ import annotations

import json
import re

import pytest

from helpers.servers.knowledge_base import DEFAULT_KB_PATH

pytestmark = pytest.mark.notebook

NOTEBOOK = "03_azure_openai_kb_stdio.ipynb"
MODES = {"key": "api-key", "managed_identity": "bearer"}
# The stand-in's key is "standin-" + token_urlsafe(18) (24 characters); "standin-deployment" is not one
STANDIN_KEY = re.compile(r"standin-[A-Za-z0-9_-]{24}(?![A-Za-z0-9_-])")
TOKEN_TEXT = re.compile(
    r"Bearer\s+[A-Za-z0-9_.-]{16,}|eyJ[A-Za-z0-9_-]{8,}\.|access_token|IDENTITY_HEADER\s*="
)


KEY_FIGURE = "25 days"  # the vacation answer's figure in data/kb.json, written out (not the notebook's regex)
# get_knowledge_base calls over the notebook's stdio session: the vacation question, the two questions
# of "more" and the run that meets the injected 429, one call each
STDIO_CALLS = 4
# Tokens the local identity endpoint issues with AUTH="managed_identity": the hello client and the simple
# tool-calling client (a DefaultAzureCredential each), connect()'s backend (one token, cached, for all of
# its requests) and the 404 demo's second backend
TOKENS = {"key": 0, "managed_identity": 4}


def vacation_answer() -> str:
    """The knowledge base's own vacation answer, which the stand-in quotes verbatim."""
    entries = json.loads(DEFAULT_KB_PATH.read_text(encoding="utf-8"))
    answer = next(e["answer"] for e in entries if "vacation" in e["question"].lower())
    assert KEY_FIGURE in answer, "data/kb.json's vacation answer changed: update KEY_FIGURE"
    return answer


@pytest.mark.parametrize("auth", list(MODES))
def test_records(run_notebook, auth):
    records = run_notebook(NOTEBOOK, AUTH=auth).records
    assert records["backend"] == "standin"
    assert records["auth_mode"] == auth
    assert records["auth_header"] == MODES[auth]
    assert records["token_requests"] == TOKENS[auth]
    assert records["tool_calls"] == ["get_knowledge_base"]
    assert records["server_calls"] == records["client_calls_over_stdio"] == STDIO_CALLS
    assert records["http_server_calls"] == 1  # the one expense-report run over streamable HTTP
    assert records["key_figure"] == KEY_FIGURE
    assert records["final_answer"].startswith("(stand-in, not a model) I called get_knowledge_base")
    assert vacation_answer() in records["final_answer"]
    assert records["retried"] is True
    assert records["wrong_key_attempts"] == 1
    assert records["secrets_in_log"] == []


@pytest.mark.parametrize("auth", list(MODES))
def test_outputs_show_no_secret_and_label_the_standin(run_notebook, auth):
    text = run_notebook(NOTEBOOK, AUTH=auth).outputs_text()
    assert not STANDIN_KEY.search(text), "the stand-in's API key appears in the outputs"
    assert not TOKEN_TEXT.search(text), "a token appears in the outputs"
    assert "this-is-not-the-key" not in text  # even the wrong demo key is never echoed
    assert "STAND-IN" in text and "not a language model" in text


@pytest.mark.parametrize("auth", list(MODES))
def test_troubleshooting_cells_fail_as_intended(run_notebook, auth):
    run = run_notebook(NOTEBOOK, AUTH=auth)
    shown = run.expected_errors()
    assert [name for name, _ in shown] == ["AuthenticationError", "NotFoundError", "ConfigError"]
    assert "AZURE_OPENAI_ENDPOINT is not set" in shown[2][1]
    assert "What it means: 401" in shown[0][1] and "What it means: 404" in shown[1][1]
    assert run.error_outputs() == []  # papermill would have failed the run, but say it plainly


def _cells(name: str):
    import nbformat

    from tests.support.notebooks import NOTEBOOKS

    return nbformat.read(str(NOTEBOOKS / name), as_version=4).cells


def test_the_seeds_simple_client_comes_first_in_about_40_lines():
    code = [c.source for c in _cells(NOTEBOOK) if c.cell_type == "code"]

    def first(text: str) -> int:
        return next(i for i, source in enumerate(code) if text in source)

    plain = [
        first("def make_azure_client("),
        first("def answer_with_tools("),
        first("stdio_client(KB_SERVER"),
    ]
    assert "azure_ad_token_provider=" in code[plain[0]] and "api_key=" in code[plain[0]]
    assert sum(len([line for line in code[i].splitlines() if line.strip()]) for i in plain) <= 45
    assert max(plain) < first("McpConnection.stdio(") < first("connect(BACKEND") < first("run_tool_loop(")


def test_prose_points_only_to_what_the_notebook_contains():
    prose = "\n".join(c.source for c in _cells(NOTEBOOK) if c.cell_type == "markdown")
    assert "section 9 lists the fixes" not in prose and "403" in prose
    assert "service principal" in prose and "AZURE_CLIENT_SECRET" in prose


@pytest.mark.parametrize("auth", list(MODES))
def test_simple_client_retries_viewer_and_one_stdio_server(run_notebook, auth):
    records = run_notebook(NOTEBOOK, AUTH=auth).records
    assert records["simple_credential"] == records["credential_sent"] == MODES[auth]
    assert records["simple_tool_calls"] == ["get_knowledge_base"]
    assert vacation_answer() in records["simple_answer"]
    assert records["stdio_kb_servers"] == 1
    assert records["answered_429"] == records["sdk_retries"] == 1  # the one injected 429, retried once
    assert records["viewer"] is True and records["cassette"] is None
