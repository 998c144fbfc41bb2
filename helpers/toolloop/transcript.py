"""The record of one tool-loop run: model turns, tool runs, the answer, and why it stopped.

It renders as cards in Jupyter (HTML) and as plain text elsewhere (papermill logs, terminals).
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from helpers.llm.wire import WireLog

StopReason = Literal["answered", "turn_limit", "empty_reply", "api_error"]
# What went wrong with one tool call; None when it ran and returned normally.
Problem = Literal["unknown_tool", "bad_json", "bad_arguments", "tool_error", "timeout", "exception"]
STOP_REASONS: dict[StopReason, str] = {
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
    problem: Problem | None = None
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
    stop_reason: StopReason = "answered"
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
        return cards_html(self)


COLOURS = {
    "user": "#1565c0",
    "assistant": "#6a1b9a",
    "call": "#ef6c00",
    "result": "#2e7d32",
    "error": "#c62828",
    "answer": "#00695c",
}


def _card(kind: str, title: str, body: str) -> str:
    colour = COLOURS[kind]
    return (
        f"<div class='workbook-card workbook-{kind}' style='border-left:4px solid {colour};"
        f"margin:4px 0;padding:4px 8px'><div style='color:{colour};font-weight:bold'>{title}</div>"
        f"<div style='white-space:pre-wrap'>{body}</div></div>"
    )


def _pretty(text: str) -> str:
    try:
        return json.dumps(json.loads(text), indent=2, ensure_ascii=False)
    except (TypeError, ValueError):
        return text


def _short(text: str, limit: int = 300) -> str:
    return text if len(text) <= limit else text[:limit] + f" … ({len(text)} characters)"


def _text_of(content: Any) -> str:
    if isinstance(content, list):  # content parts: keep the text ones
        return "".join(p.get("text", "") for p in content if isinstance(p, dict))
    return content or ""


def transcript_from_messages(
    messages: list[dict[str, Any]],
    final_answer: str | None = None,
    *,
    model: str = "",
    wire: WireLog | None = None,
    finish_reasons: Iterable[str | None] = (),
) -> Transcript:
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
        turn = Turn(
            number,
            _text_of(message.get("content")) or None,
            reasons[number - 1] if number <= len(reasons) else None,
        )
        for call in message.get("tool_calls") or []:
            result = results.get(call.get("id"), {})
            text = _text_of(result.get("content")) if result else "(no tool message answered this call)"
            is_error = '"error"' in text[:40] or text.startswith("Error")
            turn.tool_runs.append(
                ToolRun(
                    call.get("id", ""),
                    call["function"]["name"],
                    call["function"]["arguments"],
                    text,
                    is_error,
                    "tool_error" if is_error else None,
                )
            )
        transcript.turns.append(turn)
    if final_answer is not None:
        number = len(transcript.turns) + 1
        transcript.turns.append(
            Turn(number, final_answer, reasons[number - 1] if number <= len(reasons) else None)
        )
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


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


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
            cards.append(
                _card(
                    "call",
                    f"Tool call · {html.escape(run.name)} ({timing})",
                    f"<pre>{html.escape(_pretty(run.arguments))}</pre>",
                )
            )
            title = f"Tool result · {html.escape(run.name)}"
            if run.seconds:
                title += f" · {run.seconds * 1000:.0f} ms"
            if run.problem:
                title += f" · {run.problem}"
            cards.append(
                _card(
                    "error" if run.is_error else "result",
                    title,
                    f"<pre>{html.escape(_short(_pretty(run.result), 1500))}</pre>",
                )
            )
        if not turn.tool_runs and turn.content == transcript.final_answer:
            cards.append(_card("answer", f"Final answer ({timing})", html.escape(turn.content or "")))
    total = sum(t.seconds for t in transcript.turns)
    cards.append(
        f"<div class='workbook-summary' style='color:#555'>Stopped: {html.escape(transcript.explanation)} "
        f"({_count(len(transcript.turns), 'model turn')}, {_count(len(transcript.tool_runs), 'tool call')}, "
        f"{_timing(total)} in all, model {html.escape(transcript.model)})</div>"
    )
    if transcript.warning:
        cards.append(_card("error", "Warning", html.escape(transcript.warning)))
    return "<div class='workbook-transcript'>" + "".join(cards) + "</div>"
