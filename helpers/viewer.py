"""A transcript viewer: the conversation as cards beside the raw JSON of every HTTP exchange with the model.

`show_run(transcript, wire)` displays an ipywidgets view (cards on the left, a collapsible
Accordion of exchanges on the right). The same output carries a static HTML and a plain-text
copy, so papermill runs, HTML exports and a notebook reopened without its kernel still show it.
`transcript_from_messages` builds the Transcript for a loop written by hand (notebook 01).
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from .transcript import ToolRun, Transcript, Turn, _card, _pretty, _short
from .wire import SECRET_HEADERS, Exchange, WireLog, redact

WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
VIEWER_CSS = """<style>
.workbook-viewer {display:flex; gap:12px; align-items:flex-start; font-size:13px}
.workbook-viewer > div {flex:1 1 50%; min-width:0}
.workbook-wire pre, .workbook-transcript pre {max-height:24em; overflow:auto; margin:2px 0}
.workbook-wire details {border:1px solid #ddd; margin:3px 0; padding:2px 6px}
</style>"""


def _text_of(content: Any) -> str:
    if isinstance(content, list):  # content parts: keep the text ones
        return "".join(p.get("text", "") for p in content if isinstance(p, dict))
    return content or ""


def transcript_from_messages(messages: list[dict[str, Any]], final_answer: str | None = None, *,
                             model: str = "", wire: WireLog | None = None,
                             finish_reasons: Iterable[str | None] = ()) -> Transcript:
    """A Transcript of a conversation held as Chat Completions messages (a loop written by hand).

    Args:
        messages: system, user, assistant (with tool_calls) and tool messages, in order.
        final_answer: the last reply's text (it is not in `messages` when the loop stopped there).
        model: the model id, for the footer.
        wire: a WireLog of the same run; its chat exchanges give each turn's seconds.
        finish_reasons: each turn's finish_reason; default: read from the wire's response bodies.
    """
    question = next((_text_of(m.get("content")) for m in messages if m.get("role") == "user"), "")
    transcript = Transcript(question, model, messages=[dict(m) for m in messages])
    results = {m.get("tool_call_id"): m for m in messages if m.get("role") == "tool"}
    exchanges = wire.chat_exchanges() if wire else []
    timings = [e.seconds or 0.0 for e in exchanges]
    reasons = list(finish_reasons) or [_finish_reason(e.response_body) for e in exchanges]
    for message in (m for m in messages if m.get("role") == "assistant"):
        number = len(transcript.turns) + 1
        turn = Turn(number, _text_of(message.get("content")) or None,
                    reasons[number - 1] if number <= len(reasons) else None)
        for call in message.get("tool_calls") or []:
            result = results.get(call.get("id"), {})
            text = _text_of(result.get("content")) if result else "(no tool message answered this call)"
            is_error = '"error"' in text[:40] or text.startswith("Error")
            turn.tool_runs.append(ToolRun(call.get("id", ""), call["function"]["name"], call["function"]["arguments"],
                                          text, is_error, "tool_error" if is_error else None))
        transcript.turns.append(turn)
    if final_answer is not None:
        number = len(transcript.turns) + 1
        transcript.turns.append(Turn(number, final_answer, reasons[number - 1] if number <= len(reasons) else None))
        transcript.final_answer = final_answer
    else:
        transcript.stop_reason = "turn_limit"
    for turn, seconds in zip(transcript.turns, timings, strict=False):
        turn.seconds = seconds
    return transcript


def _finish_reason(body: Any) -> str | None:
    try:
        return body["choices"][0]["finish_reason"]
    except (TypeError, KeyError, IndexError):
        return None


def _timing(seconds: float) -> str:
    if not seconds:
        return "time not measured"
    return f"{seconds * 1000:.0f} ms" if seconds < 1 else f"{seconds:.2f} s"


def cards_html(transcript: Transcript) -> str:
    """The conversation as HTML cards: user, assistant, tool call, tool result, final answer, timings."""
    cards = [_card("user", "User", html.escape(transcript.question))]
    for turn in transcript.turns:
        timing = f"turn {turn.number} · {_timing(turn.seconds)}"
        if turn.finish_reason:
            timing += f" · finish_reason={html.escape(turn.finish_reason)}"
        if turn.content and turn.tool_runs:
            cards.append(_card("assistant", f"Assistant ({timing})", html.escape(turn.content)))
        for run in turn.tool_runs:
            cards.append(_card("call", f"Tool call · {html.escape(run.name)} ({timing})",
                               f"<pre>{html.escape(_pretty(run.arguments))}</pre>"))
            title = f"Tool result · {html.escape(run.name)}"
            if run.seconds:
                title += f" · {run.seconds * 1000:.0f} ms"
            if run.problem:
                title += f" · {run.problem}"
            cards.append(_card("error" if run.is_error else "result", title,
                               f"<pre>{html.escape(_short(_pretty(run.result), 1500))}</pre>"))
        if not turn.tool_runs and turn.content == transcript.final_answer:
            cards.append(_card("answer", f"Final answer ({timing})", html.escape(turn.content or "")))
    total = sum(t.seconds for t in transcript.turns)
    cards.append(f"<div class='workbook-summary' style='color:#555'>Stopped: {html.escape(transcript.explanation)} "
                 f"({len(transcript.turns)} model turns, {len(transcript.tool_runs)} tool calls, "
                 f"{_timing(total)} in all, model {html.escape(transcript.model)})</div>")
    if transcript.warning:
        cards.append(_card("error", "Warning", html.escape(transcript.warning)))
    return "<div class='workbook-transcript'>" + "".join(cards) + "</div>"


def _clean(exchange: Exchange, secrets: Iterable[str]) -> dict[str, Any]:
    """One exchange as plain data, redacted again (headers by name, bodies by field and by shape)."""
    known = list(secrets)
    headers = {k: ("<redacted>" if k.lower() in SECRET_HEADERS else v) for k, v in exchange.request_headers.items()}
    return {"method": exchange.method, "url": redact(exchange.url, known), "status": exchange.status,
            "seconds": exchange.seconds, "request_headers": redact(headers, known),
            "request_body": redact(exchange.request_body, known), "response_body": redact(exchange.response_body, known)}


def _exchange_title(number: int, item: dict[str, Any]) -> str:
    path = item["url"].split("://", 1)[-1].split("/", 1)[-1].split("?")[0]
    seconds = f" · {_timing(item['seconds'])}" if item["seconds"] else ""
    return f"#{number} {item['method']} /{path} → {item['status'] or 'no reply'}{seconds}"


def _exchange_html(item: dict[str, Any]) -> str:
    def block(title: str, data: Any, open_: bool = False) -> str:
        text = data if isinstance(data, str) else json.dumps(data, indent=2, ensure_ascii=False, default=str)
        return (f"<details{' open' if open_ else ''}><summary>{html.escape(title)}</summary>"
                f"<pre>{html.escape(text)}</pre></details>")

    return (block("Request headers (secrets redacted)", item["request_headers"])
            + block("Request body", item["request_body"], True) + block("Response body", item["response_body"], True))


def wire_html(items: list[dict[str, Any]]) -> str:
    """Every exchange as a collapsed <details> block with its request and response JSON."""
    if not items:
        return "<div class='workbook-wire'><i>No HTTP exchanges were captured.</i></div>"
    parts = [f"<details class='workbook-exchange'><summary><b>{html.escape(_exchange_title(i, item))}</b></summary>"
             f"{_exchange_html(item)}</details>" for i, item in enumerate(items, 1)]
    return "<div class='workbook-wire'><b>On the wire</b>" + "".join(parts) + "</div>"


def _plain(transcript: Transcript, items: list[dict[str, Any]]) -> str:
    lines = [str(transcript), "", f"ON THE WIRE ({len(items)} HTTP exchanges with the model):"]
    for number, item in enumerate(items, 1):
        lines.append(_exchange_title(number, item))
        lines.append("  request:  " + _short(json.dumps(item["request_body"], ensure_ascii=False, default=str), 400))
        lines.append("  response: " + _short(json.dumps(item["response_body"], ensure_ascii=False, default=str), 400))
    return "\n".join(lines)


@dataclass
class RunView:
    """What `show_run` built: the widget (None without ipywidgets), and its static HTML and text copies."""

    widget: Any
    html: str
    text: str
    cards: int
    exchanges: int

    @property
    def built(self) -> bool:
        """True when the viewer has a widget and at least one card."""
        return self.widget is not None and self.cards > 0

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        bundle = {"text/html": self.html, "text/plain": self.text}
        if self.widget is not None:
            view = (self.widget._repr_mimebundle_() or {}).get(WIDGET_MIME)
            if view:
                bundle[WIDGET_MIME] = view
        return bundle


def build_run_view(transcript: Transcript, wire: WireLog | None = None, *, secrets: Iterable[str] = (),
                   chat_only: bool = True) -> RunView:
    """Build (without displaying) the viewer for `transcript` and the exchanges in `wire`."""
    known = list(secrets)
    exchanges = (wire.chat_exchanges() if chat_only else wire.exchanges) if wire is not None else []
    items = [_clean(e, known) for e in exchanges]
    cards = cards_html(transcript)
    static = (VIEWER_CSS + "<div class='workbook-viewer'><div>" + cards + "</div><div>" + wire_html(items)
              + "</div></div>")
    count = cards.count("class='workbook-card ")
    try:
        import ipywidgets as widgets
    except ImportError:  # no widgets: the static copies still show everything
        return RunView(None, static, _plain(transcript, items), count, len(items))
    accordion = widgets.Accordion(children=[widgets.HTML(VIEWER_CSS + "<div class='workbook-wire'>"
                                                         + _exchange_html(item) + "</div>") for item in items],
                                  titles=tuple(_exchange_title(i, item) for i, item in enumerate(items, 1)))
    left = widgets.HTML(VIEWER_CSS + cards, layout=widgets.Layout(flex="1 1 50%", min_width="0"))
    right = widgets.VBox([widgets.HTML("<b>On the wire</b> (click an exchange to open its JSON)"), accordion],
                         layout=widgets.Layout(flex="1 1 50%", min_width="0"))
    box = widgets.HBox([left, right], layout=widgets.Layout(width="100%", align_items="flex-start", grid_gap="12px"))
    box.add_class("workbook-viewer-widget")
    return RunView(box, static, _plain(transcript, items), count, len(items))


def show_run(transcript: Transcript, wire: WireLog | None = None, *, secrets: Iterable[str] = ()) -> RunView:
    """Display a run: cards beside the wire JSON (widgets), with static HTML and text copies in the same output.

    Args:
        transcript: from `run_tool_loop`, or `transcript_from_messages` for a loop written by hand.
        wire: the WireLog of the client that talked to the model (`backend.wire`); None: cards only.
        secrets: values to redact wherever they appear (for example the API key), besides the usual shapes.

    Returns:
        The RunView, whose `built` says whether the widget view was made.
    """
    from IPython.display import display

    view = build_run_view(transcript, wire, secrets=secrets)
    display(view)
    return view


__all__ = ["RunView", "build_run_view", "cards_html", "show_run", "transcript_from_messages", "wire_html"]
