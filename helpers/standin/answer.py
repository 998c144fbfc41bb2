"""Write the stand-in's final answer from the tool results it actually received, and nothing else.

The stand-in knows no scenario and draws no conclusions: its answer quotes each result. A JSON
result becomes its values, path by path (`rooms.kitchen.mean: 20.5`); an ISO datetime among them
is also written as a clock time, in the time zone named next to it when there is one; an error is
reported as an error; a text result is quoted at the passage that shares most words with the
question. The answer starts with `LABEL`, so no one takes it for a model's.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, available_timezones

from .words import content_words

LABEL = "(stand-in, not a model)"
MAX_VALUES = 40  # values quoted from one JSON result
MAX_TEXT = 600  # characters quoted from one text value or passage


def clock(moment: datetime) -> str:
    """'5:43 PM' from a datetime."""
    return moment.strftime("%I:%M %p").lstrip("0")


@lru_cache(maxsize=1)
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())


def _as_datetime(value: Any) -> datetime | None:
    """An ISO 8601 date and time (with a clock time) as a datetime, else None."""
    if not isinstance(value, str) or not re.match(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}", value):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def readable_time(value: Any, zone: str | None) -> str | None:
    """'5:43 PM CET, Saturday 21 November 2026' for an ISO datetime, in `zone` when it is given."""
    moment = _as_datetime(value)
    if moment is None:
        return None
    if moment.tzinfo is not None and zone:
        moment = moment.astimezone(ZoneInfo(zone))
    name = moment.tzname() if moment.tzinfo is not None else None
    return f"{clock(moment)}{' ' + name if name else ''}, {moment:%A} {moment.day} {moment:%B %Y}"


def _leaves(data: Any, path: str = "") -> list[tuple[str, Any, str | None]]:
    """(path, value, time zone named beside it) for every scalar in a JSON value, in order."""
    if isinstance(data, dict):
        zone = next((v for v in data.values() if isinstance(v, str) and "/" in v and v in _zones()), None)
        out = []
        for key, value in data.items():
            child = f"{path}.{key}" if path else str(key)
            out += [(p, v, z or zone) for p, v, z in _leaves(value, child)]
        return out
    if isinstance(data, list):
        out = []
        for index, value in enumerate(data):
            out += _leaves(value, f"{path}[{index}]")
        return out
    return [(path, data, None)]


def _quote(value: Any) -> str:
    if isinstance(value, str):
        return value if len(value) <= MAX_TEXT else value[:MAX_TEXT] + " …"
    return json.dumps(value, ensure_ascii=False)


def quote_values(data: Any) -> str:
    """The values of a JSON result as 'path: value' items, datetimes also as clock times."""
    leaves = _leaves(data)
    items = []
    for path, value, zone in leaves[:MAX_VALUES]:
        text = _quote(value)
        readable = readable_time(value, zone)
        if readable:
            text += f" ({readable})"
        items.append(f"{path}: {text}" if path else text)
    if len(leaves) > MAX_VALUES:
        items.append(f"and {len(leaves) - MAX_VALUES} more values")
    return "; ".join(items) if items else "nothing (an empty result)"


def _best_passage(text: str, question: str) -> str:
    """The paragraph or item of `text` sharing most words with the question."""
    asked = content_words(question)
    parts = [p.strip() for p in re.split(r"\n\s*\n|\n(?=Q\d*:|\d+\.|- )", text) if p.strip()] or [text]
    best = max(parts, key=lambda p: (len(asked & content_words(p)), -parts.index(p)))
    return best if len(best) <= MAX_TEXT else best[:MAX_TEXT] + " …"


def describe_result(name: str, content: str, question: str) -> str:
    """One sentence restating what the tool `name` returned."""
    try:
        data = json.loads(content)
    except (TypeError, ValueError):
        data = None
    if isinstance(data, list) and data and all(isinstance(i, dict) and i.get("type") == "text" for i in data):
        # MCP content blocks, as Autogen's McpToolAdapter serialises a tool result: read their text.
        return describe_result(name, "\n".join(str(i.get("text", "")) for i in data), question)
    if isinstance(data, dict) and "error" in data:
        rest = {k: v for k, v in data.items() if k != "error"}
        return f"{name} reported an error: {_quote(data['error'])}" + (
            f" ({quote_values(rest)})." if rest else ""
        )
    if isinstance(data, list):
        return f"{name} returned {len(data)} items: {quote_values(data)}."
    if isinstance(data, dict):
        return f"{name} returned {quote_values(data)}."
    text = str(content).strip()
    if not text:
        return f"{name} returned nothing."
    if text.lower().startswith("error"):
        return f"{name} reported an error: {text[:MAX_TEXT]}"
    return f"From {name}: {_best_passage(text, question)}"


def final_answer(results: list[tuple[str, str]], question: str) -> str:
    """The stand-in's final answer: each result restated, labelled as the stand-in's, no conclusions added."""
    names = sorted({name for name, _ in results})
    intro = (
        f"I called {', '.join(names)} and quote what came back; I am not a model and add no "
        "conclusions of my own."
    )
    return " ".join([LABEL, intro, *(describe_result(name, content, question) for name, content in results)])
