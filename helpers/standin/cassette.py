"""Cassettes: recorded conversations the stand-in replays while an incoming one matches them.

A cassette is a JSON file in `data/cassettes/` (or the folder `WORKBOOK_CASSETTE_DIR` names, where
`RECORD = True` writes too) with a list of exchanges, each the request's
messages and the response body the real model gave. A request matches an exchange when its
messages are the same once normalised: ids dropped, tool results compared as parsed JSON,
whitespace trimmed, and fields that do nothing on the wire ignored.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from helpers.settings import DATA_DIR

from .planner import message_text
from .wire import Reply, ToolCall

CASSETTE_DIR = DATA_DIR / "cassettes"


def cassette_dir() -> Path:
    """Where cassettes are written and replayed from: `WORKBOOK_CASSETTE_DIR` if set, else data/cassettes/."""
    return Path(os.environ.get("WORKBOOK_CASSETTE_DIR") or CASSETTE_DIR)


def _canonical_json(text: str) -> Any:
    try:
        return json.loads(text)
    except (TypeError, ValueError):
        return " ".join(str(text).split())


def normalise(messages: list[dict[str, Any]]) -> list[tuple]:
    """A comparable form of a conversation (roles, texts, calls and results; no ids)."""
    out = []
    for message in messages:
        role = message.get("role")
        calls = tuple(
            (
                c.get("function", {}).get("name"),
                json.dumps(_canonical_json(c.get("function", {}).get("arguments", "")), sort_keys=True),
            )
            for c in message.get("tool_calls") or []
        )
        text = message_text(message)
        content = (
            json.dumps(_canonical_json(text), sort_keys=True) if role == "tool" else " ".join(text.split())
        )
        out.append((role, content, calls))
    return out


@dataclass
class Cassette:
    """One recorded conversation."""

    name: str
    exchanges: list[dict[str, Any]]
    description: str = ""

    @classmethod
    def load(cls, path: Path) -> Cassette:
        """Read a cassette file; a malformed one raises ValueError naming the file."""
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
            return cls(doc.get("name", path.stem), list(doc["exchanges"]), doc.get("description", ""))
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"cassette {path} is not valid: {exc}. Fix or delete the file.") from exc

    def match(self, request: dict[str, Any]) -> Reply | None:
        """The recorded reply for this request, or None when the conversation left the recording."""
        incoming = normalise(request.get("messages") or [])
        offered = sorted(t.get("function", {}).get("name", "") for t in request.get("tools") or [])
        for exchange in self.exchanges:
            recorded = exchange["request"]
            if recorded.get("tools") is not None and sorted(recorded["tools"]) != offered:
                continue
            if normalise(recorded["messages"]) == incoming:
                message = exchange["response"]["choices"][0]["message"]
                calls = [
                    ToolCall(c["id"], c["function"]["name"], c["function"]["arguments"])
                    for c in message.get("tool_calls") or []
                ]
                return Reply(
                    message.get("content"),
                    calls,
                    source=f"standin-cassette:{self.name}",
                    recorded=exchange["response"],
                )
        return None


def load_all(folder: Path | None = None) -> list[Cassette]:
    """Every cassette in `folder` (default: `cassette_dir()`), in name order."""
    folder = folder or cassette_dir()
    return [Cassette.load(p) for p in sorted(folder.glob("*.json"))] if folder.is_dir() else []
