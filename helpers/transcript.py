"""The record of one tool-loop run: model turns, tool runs, the answer, and why it stopped.

It renders as cards in Jupyter (HTML) and as plain text elsewhere (papermill logs, terminals).
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass, field
from typing import Any

STOP_REASONS = {
    "answered": "the model replied without tool calls: that reply is the answer",
    "turn_limit": "the turn limit was reached before the model answered",
    "empty_reply": "the model sent neither text nor tool calls",
    "api_error": "the model endpoint returned an error",
}


@dataclass
class ToolRun:
    """One tool call the model asked for, and what running it gave."""

    call_id: str
    name: str
    arguments: str  # as the model sent it
    result: str  # what went back to the model in the tool message
    is_error: bool = False
    problem: str | None = None  # unknown_tool, bad_json, bad_arguments, tool_error, timeout, exception
    seconds: float = 0.0


@dataclass
class Turn:
    """One request to the model and its reply."""

    number: int
    content: str | None
    finish_reason: str | None
    tool_runs: list[ToolRun] = field(default_factory=list)
    seconds: float = 0.0
    usage: dict[str, Any] | None = None


@dataclass
class Transcript:
    """Everything one `run_tool_loop` call did."""

    question: str
    model: str
    turns: list[Turn] = field(default_factory=list)
    final_answer: str | None = None
    stop_reason: str = "answered"
    error: str | None = None
    warning: str | None = None
    messages: list[dict[str, Any]] = field(default_factory=list, repr=False)

    @property
    def tool_calls(self) -> list[str]:
        """Names of the tools called, in call order."""
        return [run.name for turn in self.turns for run in turn.tool_runs]

    @property
    def tool_runs(self) -> list[ToolRun]:
        return [run for turn in self.turns for run in turn.tool_runs]

    @property
    def explanation(self) -> str:
        text = STOP_REASONS.get(self.stop_reason, self.stop_reason)
        return f"{text}: {self.error}" if self.error else text

    def __str__(self) -> str:
        lines = [f"USER: {self.question}"]
        for turn in self.turns:
            if turn.content and turn.tool_runs:
                lines.append(f"ASSISTANT (turn {turn.number}): {turn.content}")
            for run in turn.tool_runs:
                flag = f"  [{run.problem}]" if run.problem else ""
                lines.append(f"TOOL CALL (turn {turn.number}): {run.name}({run.arguments}){flag}")
                lines.append(f"TOOL RESULT: {_short(run.result)}")
        if self.final_answer:
            lines.append(f"ANSWER: {self.final_answer}")
        lines.append(f"STOPPED: {self.explanation} ({len(self.turns)} model turns)")
        if self.warning:
            lines.append(f"WARNING: {self.warning}")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        cards = [_card("user", "User", html.escape(self.question))]
        for turn in self.turns:
            timing = f"turn {turn.number} · {turn.seconds:.2f} s"
            if turn.content and turn.tool_runs:
                cards.append(_card("assistant", f"Assistant ({timing})", html.escape(turn.content)))
            for run in turn.tool_runs:
                args = html.escape(_pretty(run.arguments))
                cards.append(_card("call", f"Tool call · {html.escape(run.name)} ({timing})", f"<pre>{args}</pre>"))
                kind = "error" if run.is_error else "result"
                title = f"Tool result · {html.escape(run.name)} · {run.seconds * 1000:.0f} ms"
                if run.problem:
                    title += f" · {run.problem}"
                cards.append(_card(kind, title, f"<pre>{html.escape(_short(_pretty(run.result), 1500))}</pre>"))
        if self.final_answer:
            cards.append(_card("answer", "Final answer", html.escape(self.final_answer)))
        cards.append(f"<div style='color:#555'>Stopped: {html.escape(self.explanation)} "
                     f"({len(self.turns)} model turns, model {html.escape(self.model)})</div>")
        if self.warning:
            cards.append(_card("error", "Warning", html.escape(self.warning)))
        return "<div class='workbook-transcript'>" + "".join(cards) + "</div>"


COLOURS = {"user": "#1565c0", "assistant": "#6a1b9a", "call": "#ef6c00", "result": "#2e7d32",
           "error": "#c62828", "answer": "#00695c"}


def _card(kind: str, title: str, body: str) -> str:
    colour = COLOURS[kind]
    return (f"<div class='workbook-card workbook-{kind}' style='border-left:4px solid {colour};"
            f"margin:4px 0;padding:4px 8px'><div style='color:{colour};font-weight:bold'>{title}</div>"
            f"<div style='white-space:pre-wrap'>{body}</div></div>")


def _pretty(text: str) -> str:
    try:
        return json.dumps(json.loads(text), indent=2, ensure_ascii=False)
    except (TypeError, ValueError):
        return text


def _short(text: str, limit: int = 300) -> str:
    return text if len(text) <= limit else text[:limit] + f" … ({len(text)} characters)"
