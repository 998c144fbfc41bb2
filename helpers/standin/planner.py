"""The stand-in's deterministic planner: which tools to call, with which arguments, and when to answer.

It reads only the request: the offered tools (names, descriptions, parameter names) and the
words of the last user message. It knows no tool and no scenario in advance.

Each offered tool is scored by the content words it shares with the message, each weighted by how
rare it is among the offered tools (inverse document frequency) and counted twice in the name:

    score = sum over shared words w of  log(1 + N / df(w)) * (2 if w in the name else 0
                                                              + 1 if w in description or parameter names)

A tool fits when the part of its score that no better-scoring tool also explains reaches `MIN_FIT`
(about one distinctive word, or any word of its name). So "convert 9:30 New York time to Tokyo
time" fits `convert_time` but not `get_current_time`, whose only shared word, "time", the better
tool has too; while "aggregate the readings and check the weather" fits both tools it names.
Fitting tools whose required arguments can be read from the message are called, all in one turn
(one per turn when `parallel_tool_calls` is false). When none fits, the reply is a plain answer
saying so, with no tool call. Once results are in, the answer quotes them (`answer.final_answer`).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

from .answer import LABEL, final_answer
from .arguments import fill_arguments, fill_arguments_detail
from .wire import Reply, ToolCall
from .words import content_words

# The least score that counts as a fit: one word of the tool's name always reaches it (2 x log 2),
# one word of its description alone only when that word is rare among the offered tools.
MIN_FIT = 1.0


def message_text(message: dict[str, Any]) -> str:
    """The text of a message whose content is a string or a list of content parts."""
    content = message.get("content")
    if isinstance(content, list):
        return " ".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
    if content is None:
        return ""
    return content if isinstance(content, str) else json.dumps(content, ensure_ascii=False)


def _function(tool: dict[str, Any]) -> dict[str, Any]:
    function = tool.get("function") if isinstance(tool, dict) else None
    return function if isinstance(function, dict) else {}


def _parameters(tool: dict[str, Any]) -> dict[str, Any] | None:
    parameters = _function(tool).get("parameters")
    return parameters if isinstance(parameters, dict) else None


def tool_words(tool: dict[str, Any]) -> tuple[set[str], set[str]]:
    """(words of the tool's name, words of its description and parameter names)."""
    fn = _function(tool)
    properties = (_parameters(tool) or {}).get("properties") or {}
    described = content_words(fn.get("description") or "") | content_words(" ".join(map(str, properties)))
    return content_words(str(fn.get("name", ""))), described


@dataclass
class Fit:
    """How well one offered tool fits the message."""

    tool: dict[str, Any]
    points: dict[str, float]  # what each word the message shares with the tool adds to its score

    @property
    def name(self) -> str:
        return str(_function(self.tool).get("name", "?"))

    @property
    def score(self) -> float:
        return sum(self.points.values())

    @property
    def shared(self) -> list[str]:
        """The message's words the tool also has, weightiest first."""
        return sorted(self.points, key=lambda w: (-self.points[w], w))


def fits(tools: list[dict[str, Any]], question: str) -> list[Fit]:
    """Every offered tool scored against the message, best first (ties keep the offered order)."""
    asked = content_words(question)
    bags = [tool_words(tool) for tool in tools]
    spread = {word: sum(1 for name, described in bags if word in name or word in described) for word in asked}
    result = []
    for tool, (name_words, described) in zip(tools, bags, strict=True):
        points = {
            w: math.log(1 + len(tools) / spread[w]) * (2 * (w in name_words) + (w in described))
            for w in asked & (name_words | described)
        }
        result.append(Fit(tool, points))
    return sorted(result, key=lambda fit: -fit.score)


def rank_tools(tools: list[dict[str, Any]], question: str) -> list[tuple[float, dict[str, Any]]]:
    """(score, tool) pairs, best first: see `fits`."""
    return [(fit.score, fit.tool) for fit in fits(tools, question)]


def fitting(tools: list[dict[str, Any]], question: str) -> list[Fit]:
    """The tools that fit the message, best first: those whose own evidence reaches MIN_FIT.

    A tool's own evidence is its score without the words that a better-scoring tool (one whose whole
    score reaches MIN_FIT) shares with the message too.
    """
    ranked = fits(tools, question)
    chosen = []
    for fit in ranked:
        better = [other for other in ranked if other.score > fit.score and other.score >= MIN_FIT]
        explained = set().union(*(other.points for other in better))
        if sum(p for w, p in fit.points.items() if w not in explained) >= MIN_FIT:
            chosen.append(fit)
    return chosen


def _current_turn(messages: list[dict[str, Any]]) -> tuple[str, list[dict[str, Any]]]:
    """The last user message's text and the messages that came after it."""
    for index in range(len(messages) - 1, -1, -1):
        if isinstance(messages[index], dict) and messages[index].get("role") == "user":
            return message_text(messages[index]), messages[index + 1 :]
    return "", messages


def _results(after_user: list[dict[str, Any]]) -> tuple[list[str], list[tuple[str, str]]]:
    """Names already called in this turn, and (name, content) of each tool result received."""
    names_by_id: dict[str, str] = {}
    called: list[str] = []
    for message in after_user:
        for call in message.get("tool_calls") or []:
            if not isinstance(call, dict):
                continue
            name = str((call.get("function") or {}).get("name", ""))
            names_by_id[str(call.get("id", ""))] = name
            called.append(name)
    results = [
        (
            message.get("name") or names_by_id.get(str(message.get("tool_call_id", "")), "tool"),
            message_text(message),
        )
        for message in after_user
        if message.get("role") == "tool"
    ]
    return called, results


def plan(request: dict[str, Any], number: int, ignore_tools: bool = False) -> Reply:
    """Decide the reply to one chat request; `number` makes call ids unique."""
    messages = request.get("messages") or []
    tools = [] if ignore_tools or request.get("tool_choice") == "none" else list(request.get("tools") or [])
    question, after_user = _current_turn(messages)
    called, results = _results(after_user)

    if not tools and not results:
        offered = len(request.get("tools") or [])
        why = (
            f"it was told to ignore the {offered} tools offered"
            if ignore_tools and offered
            else "no tools were offered"
            if not offered
            else "tool_choice was 'none'"
        )
        return Reply(
            f"{LABEL} I am the workbook's offline stand-in endpoint, not a language model, and "
            f"{why}, so I cannot look anything up. I received {len(messages)} message(s); "
            "set BACKEND to a real model for a real conversation."
        )

    chosen = _choose(tools, question, request.get("tool_choice"))
    pending = [(tool, args) for tool, args in chosen if _function(tool).get("name") not in called]
    if pending and tools:
        if request.get("parallel_tool_calls") is False:
            pending = pending[:1]
        calls = [
            ToolCall(
                f"call_standin_{number}_{i}",
                str(_function(tool)["name"]),
                json.dumps(args, ensure_ascii=False),
            )
            for i, (tool, args) in enumerate(pending)
        ]
        return Reply(None, calls)
    if results:
        return Reply(final_answer(results, question))
    return Reply(_no_fit_answer(tools, question))


def _no_fit_answer(tools: list[dict[str, Any]], question: str) -> str:
    """The plain answer when no tool is called: which tools were offered, and why none was used."""
    names = ", ".join(str(_function(t).get("name", "?")) for t in tools)
    lacking = []
    for fit in fitting(tools, question):
        _, missing = fill_arguments_detail(_parameters(fit.tool), question)
        if missing:
            lacking.append(
                f"{fit.name} fits your words ({', '.join(fit.shared[:4])}) but needs "
                f"{', '.join(missing)}, which your message does not give"
            )
    if lacking:
        return (
            f"{LABEL} I am the workbook's offline stand-in, not a language model, and I never invent "
            f"arguments: {'; '.join(lacking)}. Say it and ask again."
        )
    return (
        f"{LABEL} I am the workbook's offline stand-in, not a language model. None of the offered tools "
        f"({names}) shares enough words with your message for me to call it, so I called none, and I have "
        "no knowledge of my own to answer from. Ask for something one of the tools does, naming what to look "
        "up, or set BACKEND to a real model."
    )


def _choose(
    tools: list[dict[str, Any]], question: str, tool_choice: Any
) -> list[tuple[dict[str, Any], dict]]:
    """Tools to call, with arguments: forced by tool_choice, else the fitting tools whose arguments are given."""
    if isinstance(tool_choice, dict):
        wanted = (tool_choice.get("function") or {}).get("name")
        forced = [t for t in tools if _function(t).get("name") == wanted]
        return [(t, fill_arguments_detail(_parameters(t), question)[0]) for t in forced]
    chosen = []
    for fit in fitting(tools, question):
        args = fill_arguments(_parameters(fit.tool), question)
        if args is not None:
            chosen.append((fit.tool, args))
    if not chosen and tool_choice == "required" and tools:
        # A tool call is demanded: the best-scored tool, with the arguments the message gives (the
        # tool will say which required ones are missing; the stand-in does not invent them).
        tool = fits(tools, question)[0].tool
        chosen = [(tool, fill_arguments_detail(_parameters(tool), question)[0])]
    order = {id(t): i for i, t in enumerate(tools)}  # call in the order the tools were offered
    return sorted(chosen, key=lambda pair: order[id(pair[0])])
