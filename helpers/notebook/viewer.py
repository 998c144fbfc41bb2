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

from helpers.llm.wire import Exchange, WireLog
from helpers.redact import redact, redact_headers
from helpers.toolloop.transcript import Transcript, _short, _timing, cards_html, transcript_from_messages

WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
VIEWER_CSS = """<style>
.workbook-viewer {display:flex; gap:12px; align-items:flex-start; font-size:13px}
.workbook-viewer > div {flex:1 1 50%; min-width:0}
.workbook-wire pre, .workbook-transcript pre {max-height:24em; overflow:auto; margin:2px 0}
.workbook-wire details {border:1px solid #ddd; margin:3px 0; padding:2px 6px}
</style>"""


def _clean(exchange: Exchange, secrets: Iterable[str]) -> dict[str, Any]:
    """One exchange as plain data, redacted again (headers by name, bodies by field and by shape)."""
    known = list(secrets)
    headers = redact_headers(exchange.request_headers)
    return {
        "method": exchange.method,
        "url": redact(exchange.url, known),
        "status": exchange.status,
        "seconds": exchange.seconds,
        "request_headers": redact(headers, known),
        "request_body": redact(exchange.request_body, known),
        "response_body": redact(exchange.response_body, known),
    }


def _exchange_title(number: int, item: dict[str, Any]) -> str:
    path = item["url"].split("://", 1)[-1].split("/", 1)[-1].split("?")[0]
    seconds = f" · {_timing(item['seconds'])}" if item["seconds"] else ""
    return f"#{number} {item['method']} /{path} → {item['status'] or 'no reply'}{seconds}"


def _exchange_html(item: dict[str, Any]) -> str:
    def block(title: str, data: Any, open_: bool = False) -> str:
        text = data if isinstance(data, str) else json.dumps(data, indent=2, ensure_ascii=False, default=str)
        return (
            f"<details{' open' if open_ else ''}><summary>{html.escape(title)}</summary>"
            f"<pre>{html.escape(text)}</pre></details>"
        )

    return (
        block("Request headers (secrets redacted)", item["request_headers"])
        + block("Request body", item["request_body"], True)
        + block("Response body", item["response_body"], True)
    )


def wire_html(items: list[dict[str, Any]]) -> str:
    """Every exchange as a collapsed <details> block with its request and response JSON."""
    if not items:
        return "<div class='workbook-wire'><i>No HTTP exchanges were captured.</i></div>"
    parts = [
        f"<details class='workbook-exchange'><summary><b>{html.escape(_exchange_title(i, item))}</b></summary>"
        f"{_exchange_html(item)}</details>"
        for i, item in enumerate(items, 1)
    ]
    return "<div class='workbook-wire'><b>On the wire</b>" + "".join(parts) + "</div>"


def _plain(transcript: Transcript, items: list[dict[str, Any]]) -> str:
    lines = [str(transcript), "", f"ON THE WIRE ({len(items)} HTTP exchanges with the model):"]
    for number, item in enumerate(items, 1):
        lines.append(_exchange_title(number, item))
        lines.append(
            "  request:  " + _short(json.dumps(item["request_body"], ensure_ascii=False, default=str), 400)
        )
        lines.append(
            "  response: " + _short(json.dumps(item["response_body"], ensure_ascii=False, default=str), 400)
        )
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


def build_run_view(
    transcript: Transcript,
    wire: WireLog | None = None,
    *,
    secrets: Iterable[str] = (),
    chat_only: bool = True,
) -> RunView:
    """Build (without displaying) the viewer for `transcript` and the exchanges in `wire`."""
    known = list(secrets)
    exchanges = (wire.chat_exchanges() if chat_only else wire.exchanges) if wire is not None else []
    items = [_clean(e, known) for e in exchanges]
    cards = cards_html(transcript)
    static = (
        VIEWER_CSS
        + "<div class='workbook-viewer'><div>"
        + cards
        + "</div><div>"
        + wire_html(items)
        + "</div></div>"
    )
    count = cards.count("class='workbook-card ")
    try:
        import ipywidgets as widgets
    except ImportError:  # no widgets: the static copies still show everything
        return RunView(None, static, _plain(transcript, items), count, len(items))
    accordion = widgets.Accordion(
        children=[
            widgets.HTML(VIEWER_CSS + "<div class='workbook-wire'>" + _exchange_html(item) + "</div>")
            for item in items
        ],
        titles=tuple(_exchange_title(i, item) for i, item in enumerate(items, 1)),
    )
    left = widgets.HTML(VIEWER_CSS + cards, layout=widgets.Layout(flex="1 1 50%", min_width="0"))
    right = widgets.VBox(
        [widgets.HTML("<b>On the wire</b> (click an exchange to open its JSON)"), accordion],
        layout=widgets.Layout(flex="1 1 50%", min_width="0"),
    )
    box = widgets.HBox(
        [left, right], layout=widgets.Layout(width="100%", align_items="flex-start", grid_gap="12px")
    )
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
