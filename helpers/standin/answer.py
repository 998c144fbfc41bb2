"""Write the stand-in's final answer from the tool results it actually received.

No knowledge of its own: each sentence restates a tool result (a time, a usage figure, a log
line, the passage of a document that shares most words with the question). A few findings
compare figures inside the results, such as usage at its limit.
"""

from __future__ import annotations

import json
import re
from typing import Any
from zoneinfo import ZoneInfo

from .arguments import parse_when
from .words import content_words

LABEL = "(stand-in, not a model)"
_UNITS = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "K": 10**3, "M": 10**6, "G": 10**9, "m": 1e-3}


def quantity(text: Any) -> float | None:
    """A Kubernetes quantity ('512Mi', '104m', '1Gi') as a number, else None."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([KMGT]i?|m)?\s*", str(text))
    if not match:
        return None
    return float(match.group(1)) * _UNITS.get(match.group(2) or "", 1)


def clock(moment) -> str:
    """'5:43 PM' from a datetime."""
    return moment.strftime("%I:%M %p").lstrip("0")


def _time_sentence(data: dict[str, Any]) -> str | None:
    moment = parse_when(str(data.get("datetime", "")))
    if moment is None or not data.get("timezone"):
        return None
    zone = moment.astimezone(ZoneInfo(data["timezone"])).tzname()
    return f"The current time in {data['timezone']} is {clock(moment)} ({zone}, {moment:%A %d %B %Y})."


def _conversion_sentence(data: dict[str, Any]) -> str | None:
    source, target = data.get("source"), data.get("target")
    if not (isinstance(source, dict) and isinstance(target, dict)):
        return None
    a, b = parse_when(str(source.get("datetime"))), parse_when(str(target.get("datetime")))
    if a is None or b is None:
        return None
    day = "" if a.date() == b.date() else f" on {b:%A %d %B}"
    diff = f" (a difference of {data['time_difference']})" if data.get("time_difference") else ""
    return f"{clock(a)} in {source.get('timezone')} is {clock(b)}{day} in {target.get('timezone')}{diff}."


def _usage_sentence(name: str, data: dict[str, Any]) -> str | None:
    if not {"usage", "limit"} <= data.keys():
        return None
    sentence = f"{name}: usage {data['usage']}, request {data.get('request', 'not set')}, limit {data['limit']}."
    used, limit = quantity(data["usage"]), quantity(data["limit"])
    if used is not None and limit and used >= limit:
        sentence += " Usage has reached the limit."
    elif used is not None and limit:
        sentence += f" Usage is {used / limit:.0%} of the limit."
    return sentence


def _best_passage(text: str, question: str) -> str:
    """The paragraph or item of `text` sharing most words with the question."""
    asked = content_words(question)
    parts = [p.strip() for p in re.split(r"\n\s*\n|\n(?=Q:|\d+\.|- )", text) if p.strip()] or [text]
    best = max(parts, key=lambda p: (len(asked & content_words(p)), -parts.index(p)))
    return best if len(best) <= 600 else best[:600] + " …"


def describe_result(name: str, content: str, question: str) -> str:
    """One or two sentences restating what the tool `name` returned."""
    try:
        data = json.loads(content)
    except (TypeError, ValueError):
        data = None
    if isinstance(data, dict):
        if "error" in data:
            return f"{name} reported an error: {data['error']}"
        for sentence in (_conversion_sentence(data), _time_sentence(data), _usage_sentence(name, data)):
            if sentence:
                return sentence
        if isinstance(data.get("logs"), str):
            return f"{name} returned these log lines: {data['logs']}"
        pairs = ", ".join(f"{k}: {json.dumps(v, ensure_ascii=False)}" for k, v in list(data.items())[:8])
        return f"{name} returned {pairs[:500]}."
    if isinstance(data, list) and data and all(isinstance(i, dict) and i.get("type") == "text" for i in data):
        # MCP content blocks, as Autogen's McpToolAdapter serialises a tool result: read their text.
        return describe_result(name, "\n".join(str(i.get("text", "")) for i in data), question)
    if isinstance(data, list):
        return f"{name} returned {len(data)} items: {json.dumps(data[:5], ensure_ascii=False)[:500]}"
    text = str(content).strip()
    if text.lower().startswith("error"):
        return f"{name} reported an error: {text[:300]}"
    return f"From {name}: {_best_passage(text, question)}"


def findings(results: list[tuple[str, str]]) -> list[str]:
    """Conclusions that follow from comparing the results with each other."""
    joined = " ".join(content.lower() for _, content in results)
    out_of_memory = any(w in joined for w in ("out of memory", "oomkilled", "oom killed", "signal: killed"))
    at_limit = False
    for name, content in results:
        try:
            data = json.loads(content)
        except (TypeError, ValueError):
            continue
        if isinstance(data, dict) and {"usage", "limit"} <= data.keys() and "memory" in name:
            used, limit = quantity(data["usage"]), quantity(data["limit"])
            at_limit = at_limit or (used is not None and bool(limit) and used >= limit)
    if out_of_memory and at_limit:
        return ["Root cause: the container runs out of memory. Its memory usage has reached its memory "
                "limit and the logs show it was OOM killed. Raise the memory limit (and request) or find "
                "what makes it use so much memory."]
    if out_of_memory:
        return ["The logs show the process was killed for lack of memory (OOM kill)."]
    return []


def final_answer(results: list[tuple[str, str]], question: str) -> str:
    """The stand-in's final answer: restated results, then findings, labelled as the stand-in's."""
    sentences = [describe_result(name, content, question) for name, content in results]
    return " ".join([LABEL, *sentences, *findings(results)])
