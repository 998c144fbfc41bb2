"""The transcript viewer, progress display, wire hooks for plain httpx, and record/replay of cassettes."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest

from helpers.llm.backends import connect
from helpers.llm.cassettes import SecretInCassette, cassette_name, save_cassette
from helpers.llm.wire import Exchange, WireLog
from helpers.notebook.progress import Progress
from helpers.notebook.viewer import WIDGET_MIME, build_run_view, transcript_from_messages
from helpers.redact import find_secrets, redact
from helpers.scenarios.cluster import (
    get_kubernetes_pod_cpu_data,
    get_kubernetes_pod_logs,
    get_kubernetes_pod_memory_data,
)
from helpers.settings import PROJECT_ROOT
from helpers.standin import StandIn
from helpers.standin.cassette import Cassette
from helpers.toolloop.loop import Toolbox, local_tool, run_tool_loop

ROOT = PROJECT_ROOT
SYSTEM = (
    "If you need more data to troubleshoot, you response must be have valid JSON object "
    "containing a 'tool_calls' array."
)
USER = (
    "My istio-proxy sidecar is failing in the billing-service-v1-abcdef pod in default namespace. "
    "please troubleshoot and find the root cause. you can use tools provided"
)
TOOLS = [get_kubernetes_pod_logs, get_kubernetes_pod_memory_data, get_kubernetes_pod_cpu_data]


@pytest.fixture
def live():
    """A stand-in acting as the live model: planner only, no cassettes."""
    standin = StandIn(cassettes=[]).start()
    yield standin
    standin.stop()


def _backend(standin: StandIn, monkeypatch):
    monkeypatch.setenv("OPENAI_COMPATIBLE_API_KEY", standin.api_key)
    return connect("openai-compatible", standin.base_url, standin.model_ids[0])


def _run(backend) -> object:
    messages = [{"role": "system", "content": SYSTEM}, {"role": "user", "content": USER}]
    return asyncio.run(run_tool_loop(backend, messages, Toolbox(local_tool(f) for f in TOOLS), max_turns=6))


def test_redact_and_find_secrets():
    key = "sk-" + "a1B2" * 8
    body = {
        "messages": [{"content": f"my key is {key}"}],
        "api_key": "x" * 10,
        "note": "Bearer abcdefghijk",
        "other": "my-own-long-secret value",
    }
    clean = redact(body, ["my-own-long-secret"])
    text = json.dumps(clean)
    assert key not in text and "abcdefghijk" not in text and "my-own-long-secret" not in text
    assert clean["api_key"] == "<redacted>"
    assert set(find_secrets(body, ["my-own-long-secret"])) == {
        "/messages/0/content",
        "/api_key",
        "/note",
        "/other",
    }
    assert find_secrets(clean) == ["/api_key"]  # the field name alone still counts: it stays out of cassettes


def test_httpx_hooks_capture_a_plain_client(live):
    wire = WireLog()
    url = live.base_url + "/chat/completions"
    with httpx.Client(
        headers={"Authorization": f"Bearer {live.api_key}"}, event_hooks=wire.httpx_hooks()
    ) as http:
        reply = http.post(
            url, json={"model": live.model_ids[0], "messages": [{"role": "user", "content": "hi"}]}
        )
    assert reply.status_code == 200
    [exchange] = wire.chat_exchanges()
    assert exchange.status == 200 and exchange.request_headers["authorization"] == "<redacted>"
    assert exchange.response_body["choices"] and exchange.seconds is not None


def test_viewer_from_a_loop_run_has_cards_wire_and_fallbacks(live, monkeypatch):
    backend = _backend(live, monkeypatch)
    transcript = _run(backend)
    view = build_run_view(transcript, backend.wire, secrets=[live.api_key])
    assert view.built and view.exchanges == len(transcript.turns) == len(backend.wire.chat_exchanges())
    assert view.html.count("workbook-call") == len(transcript.tool_runs) > 0
    assert "workbook-answer" in view.html and "workbook-exchange" in view.html
    bundle = view._repr_mimebundle_()
    assert set(bundle) == {WIDGET_MIME, "text/html", "text/plain"}
    everything = json.dumps(bundle) + json.dumps(view.widget.get_state(), default=str)
    assert live.api_key not in everything and "ON THE WIRE" in view.text and "TOOL CALL" in view.text


def test_viewer_redacts_a_key_that_slipped_into_a_body():
    wire = WireLog()
    wire.exchanges.append(
        Exchange(
            "POST",
            "http://127.0.0.1:1/v1/chat/completions",
            {"api-key": "plain-secret-value"},
            {"messages": [], "api_key": "k" * 12},
            200,
            {"choices": [], "note": "sk-" + "Z" * 30},
            0.01,
        )
    )
    transcript = transcript_from_messages([{"role": "user", "content": "q"}], "a", model="m", wire=wire)
    view = build_run_view(transcript, wire)
    assert "plain-secret-value" not in view.html and "k" * 12 not in view.html and "Z" * 30 not in view.html


def test_viewer_since_shows_only_the_exchanges_after_the_mark():
    def chat(answer: str, url: str = "http://127.0.0.1:1/v1/chat/completions") -> Exchange:
        return Exchange("POST", url, {}, {"messages": []}, 200, {"choices": [], "note": answer}, 0.01)

    wire = WireLog()
    wire.exchanges += [chat("first run"), chat("a model list", "http://127.0.0.1:1/v1/models")]
    mark = len(wire.exchanges)  # as a notebook takes it before running the loop again
    wire.exchanges += [chat("second run"), chat("its models", "http://127.0.0.1:1/v1/models")]
    transcript = transcript_from_messages([{"role": "user", "content": "q"}], "a", model="m")
    assert build_run_view(transcript, wire).exchanges == 2  # both runs' chat exchanges
    view = build_run_view(transcript, wire.since(mark))
    assert view.exchanges == 1 and "second run" in view.text and "first run" not in view.text
    assert build_run_view(transcript, wire.since(mark), chat_only=False).exchanges == 2


def test_transcript_from_messages_rebuilds_turns():
    messages = [
        {"role": "user", "content": "q"},
        {
            "role": "assistant",
            "content": "",
            "tool_calls": [{"id": "1", "type": "function", "function": {"name": "t", "arguments": "{}"}}],
        },
        {"role": "tool", "tool_call_id": "1", "name": "t", "content": '{"error": "no"}'},
    ]
    transcript = transcript_from_messages(messages, "done")
    assert transcript.tool_calls == ["t"] and transcript.final_answer == "done" and len(transcript.turns) == 2
    assert transcript.tool_runs[0].is_error
    assert "workbook-error" in build_run_view(transcript).html


def test_progress_counts_turns_and_keeps_a_text_copy():
    progress = Progress(8, "Tool loop", display_now=False)

    class Turn:
        def __init__(self, number, names):
            self.number, self.seconds = number, 0.01
            self.tool_runs = [type("Run", (), {"name": n})() for n in names]

    progress.on_turn(Turn(1, ["logs"]))
    progress.on_turn(Turn(2, []))
    assert progress.finished and progress.value == 2 and progress._bar.bar_style == "success"
    assert "turn 1: logs" in progress.text and "answer after 2 turns" in progress.text
    with pytest.raises(RuntimeError), Progress(2, "servers", display_now=False) as failing:
        raise RuntimeError("port taken")
    assert failing.finished and "failed: RuntimeError" in failing.text


def test_record_then_replay_gives_the_same_run(live, monkeypatch, tmp_path):
    original = _run(_backend(live, monkeypatch))
    backend = _backend(live, monkeypatch)  # a fresh wire for the run we record
    recorded_run = _run(backend)
    path = save_cassette(
        backend.wire,
        cassette_name("test_run", backend.model),
        "a test recording",
        model=backend.model,
        secrets=[live.api_key],
        folder=tmp_path,
    )
    text = path.read_text()
    assert path.name == "test_run-standin-tool-planner.json"
    assert (
        live.api_key not in text
        and "authorization" not in text.lower()
        and not find_secrets(json.loads(text))
    )

    replay = StandIn(cassettes=[Cassette.load(path)]).start()
    try:
        replayed = _run(_backend(replay, monkeypatch))
        counts = replay.snapshot()["counts"]
    finally:
        replay.stop()
    assert replayed.tool_calls == recorded_run.tool_calls == original.tool_calls
    assert replayed.final_answer == recorded_run.final_answer and replayed.stop_reason == "answered"
    assert counts["replies_from_cassette"] == len(replayed.turns) and not counts.get("replies_from_planner")


def test_save_refuses_a_secret_in_a_body(tmp_path):
    wire = WireLog()
    key = "sk-" + "q" * 40
    wire.exchanges.append(
        Exchange(
            "POST",
            "http://127.0.0.1:1/v1/chat/completions",
            {},
            {"messages": [{"role": "tool", "content": f"token={key}"}], "tools": []},
            200,
            {"choices": [{"message": {"content": "ok"}}]},
            0.1,
        )
    )
    with pytest.raises(SecretInCassette) as caught:
        save_cassette(wire, "leaky", folder=tmp_path)
    assert key not in str(caught.value) and "/exchanges/0/request/messages/0/content" in str(caught.value)
    assert not list(tmp_path.iterdir())


@pytest.mark.notebook
def test_notebook_01_records_a_live_run_that_replays(live, monkeypatch, tmp_path):
    """RECORD=True against a 'live' endpoint (a planner-only stand-in) writes a cassette a fresh stand-in replays."""
    from tests.support.notebooks import EXECUTED, NOTEBOOKS, execute, recording_against

    output = EXECUTED / "01_raw_json_tool_loop-RECORD.ipynb"
    execute(NOTEBOOKS / "01_raw_json_tool_loop.ipynb", output, recording_against(live, monkeypatch, tmp_path))
    from helpers.notebook.records import read_records

    records = read_records(output)
    assert (
        records["viewer"] is True and records["cassette"] == "01_raw_json_tool_loop-standin-tool-planner.json"
    )
    path = tmp_path / records["cassette"]
    text = path.read_text()
    assert live.api_key not in text and live.api_key not in output.read_text()
    cassette = Cassette.load(path)
    assert len(cassette.exchanges) == records["http_requests"]

    replay = StandIn(cassettes=[cassette]).start()  # the recorded requests get the recorded replies back
    try:
        with httpx.Client(headers={"Authorization": f"Bearer {replay.api_key}"}) as http:
            for exchange in cassette.exchanges:
                tools = [
                    {"type": "function", "function": {"name": n, "parameters": {"type": "object"}}}
                    for n in exchange["request"]["tools"]
                ]
                reply = http.post(
                    replay.base_url + "/chat/completions",
                    json={
                        "model": replay.model_ids[0],
                        "messages": exchange["request"]["messages"],
                        "tools": tools,
                    },
                ).json()
                got, want = reply["choices"][0]["message"], exchange["response"]["choices"][0]["message"]
                assert [c["function"] for c in got.get("tool_calls") or []] == [
                    c["function"] for c in want.get("tool_calls") or []
                ]
                assert got.get("content") == want.get("content")
        assert replay.snapshot()["counts"]["replies_from_cassette"] == len(cassette.exchanges)
    finally:
        replay.stop()
