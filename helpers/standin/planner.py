"""The stand-in's deterministic planner: which tools to call, with which arguments, and when to answer.

It reads only the request: the offered tools (names, descriptions, schemas) and the words of
the last user message. Tools are ranked by shared words (rarer words weigh more), the tools
whose required arguments can be filled from the text are called, all in one turn (one per
turn when `parallel_tool_calls` is false), and once their results are in, it answers from them.
"""

from __future__ import annotations

import json
import math
from typing import Any

from .answer import LABEL, final_answer
from .arguments import fill_arguments
from .wire import Reply, ToolCall
from .words import content_words


def message_text(message: dict[str, Any]) -> str:
    """The text of a message whose content is a string or a list of content parts."""
    content = message.get("content")
    if isinstance(content, list):
        return " ".join(p.get("text", "") for p in content if isinstance(p, dict))
    return content or ""


def _function(tool: dict[str, Any]) -> dict[str, Any]:
    return tool.get("function", {}) if isinstance(tool, dict) else {}


def rank_tools(tools: list[dict[str, Any]], question: str) -> list[tuple[float, dict[str, Any]]]:
    """Score each tool by the question words in its name (twice) and description, rarer words weighing more."""
    asked = content_words(question)
    bags = []
    for tool in tools:
        fn = _function(tool)
        bags.append((content_words(fn.get("name", "")), content_words(fn.get("description") or "")))
    ranked = []
    for tool, (name_words, description_words) in zip(tools, bags, strict=True):
        score = 0.0
        for word in asked & (name_words | description_words):
            spread = sum(1 for n, d in bags if word in n or word in d)
            weight = math.log(1 + len(tools) / spread)
            score += weight * ((2 if word in name_words else 0) + (1 if word in description_words else 0))
        ranked.append((score, tool))
    return sorted(ranked, key=lambda pair: -pair[0])


def _current_turn(messages: list[dict[str, Any]]) -> tuple[str, list[dict[str, Any]]]:
    """The last user message's text and the messages that came after it."""
    for index in range(len(messages) - 1, -1, -1):
        if messages[index].get("role") == "user":
            return message_text(messages[index]), messages[index + 1 :]
    return "", messages


def _results(after_user: list[dict[str, Any]]) -> tuple[list[str], list[tuple[str, str]]]:
    """Names already called in this turn, and (name, content) of each tool result received."""
    names_by_id: dict[str, str] = {}
    called: list[str] = []
    for message in after_user:
        for call in message.get("tool_calls") or []:
            name = call.get("function", {}).get("name", "")
            names_by_id[call.get("id", "")] = name
            called.append(name)
    results = [(message.get("name") or names_by_id.get(message.get("tool_call_id", ""), "tool"),
                message_text(message))
               for message in after_user if message.get("role") == "tool"]
    return called, results


def plan(request: dict[str, Any], number: int, ignore_tools: bool = False) -> Reply:
    """Decide the reply to one chat request; `number` makes call ids unique."""
    messages = request.get("messages") or []
    tools = [] if ignore_tools or request.get("tool_choice") == "none" else list(request.get("tools") or [])
    question, after_user = _current_turn(messages)
    called, results = _results(after_user)

    if not tools and not results:
        offered = len(request.get("tools") or [])
        why = (f"it was told to ignore the {offered} tools offered" if ignore_tools and offered
               else "no tools were offered" if not offered else "tool_choice was 'none'")
        return Reply(f"{LABEL} I am the workbook's offline stand-in endpoint, not a language model, and "
                     f"{why}, so I cannot look anything up. I received {len(messages)} message(s); "
                     "set BACKEND to a real model for a real conversation.")

    chosen = _choose(tools, question, request.get("tool_choice"))
    pending = [(tool, args) for tool, args in chosen if _function(tool)["name"] not in called]
    if pending and tools:
        if request.get("parallel_tool_calls") is False:
            pending = pending[:1]
        calls = [ToolCall(f"call_standin_{number}_{i}", _function(tool)["name"],
                          json.dumps(args, ensure_ascii=False)) for i, (tool, args) in enumerate(pending)]
        return Reply(None, calls)
    if results:
        return Reply(final_answer(results, question))
    names = ", ".join(_function(t).get("name", "?") for t in tools)
    return Reply(f"{LABEL} None of the offered tools ({names}) fits the words of the question, or their "
                 "required arguments are not in it, so I called none. Name what to look up, and where.")


# Words that mark a general look-up tool, worth calling for any question when nothing else fits.
RETRIEVAL_WORDS = {"knowledge", "search", "lookup", "document", "faq", "handbook", "policy", "policie", "wiki"}


def _choose(tools: list[dict[str, Any]], question: str, tool_choice: Any) -> list[tuple[dict[str, Any], dict]]:
    """Tools to call, with arguments: forced by tool_choice, else the best-ranked usable ones."""
    if isinstance(tool_choice, dict):
        wanted = tool_choice.get("function", {}).get("name")
        forced = [t for t in tools if _function(t).get("name") == wanted]
        return [(t, fill_arguments(_function(t).get("parameters"), question) or {}) for t in forced]
    ranked = rank_tools(tools, question)
    best = ranked[0][0] if ranked else 0.0
    chosen = []
    for score, tool in ranked:
        args = fill_arguments(_function(tool).get("parameters"), question)
        if args is not None and score > 0 and score >= best / 2:
            chosen.append((tool, args))
    if not chosen:
        for _, tool in ranked:
            fn = _function(tool)
            words = content_words(fn.get("name", "")) | content_words(fn.get("description") or "")
            args = fill_arguments(fn.get("parameters"), question)
            if words & RETRIEVAL_WORDS and args is not None:
                chosen.append((tool, args))
    if not chosen and tool_choice == "required" and ranked:
        tool = ranked[0][1]
        chosen = [(tool, fill_arguments(_function(tool).get("parameters"), question) or {})]
    order = {id(t): i for i, t in enumerate(tools)}  # call in the order the tools were offered
    return sorted(chosen, key=lambda pair: order[id(pair[0])])
