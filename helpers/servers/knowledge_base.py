"""The knowledge-base MCP server of the Azure OpenAI scenario: company policy Q&A behind one tool.

Run it with `python -m helpers.servers.knowledge_base --transport stdio|streamable-http|sse --port N`.
The Q&A pairs come from `data/kb.json` next to the helpers package, or from the file named by
the environment variable `WORKBOOK_KB_PATH`. The file is read on every call, so edits show at once.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from mcp.server.fastmcp import FastMCP
from mcp.server.fastmcp.exceptions import ToolError

from helpers.servers.cli import run
from helpers.servers.stats import CallCounter, expose_stats
from helpers.settings import DATA_DIR

KB_PATH_VARIABLE = "WORKBOOK_KB_PATH"
# Located from this file, not the cwd: helpers/servers/knowledge_base.py -> <repo>/data/kb.json
DEFAULT_KB_PATH = DATA_DIR / "kb.json"


class KnowledgeBaseError(ValueError):
    """The knowledge-base file is missing or does not hold a list of {"question", "answer"} entries."""


def kb_path() -> Path:
    """Return the knowledge-base file in use: `$WORKBOOK_KB_PATH` if set, else the bundled `data/kb.json`."""
    configured = os.environ.get(KB_PATH_VARIABLE, "").strip()
    return Path(configured).expanduser() if configured else DEFAULT_KB_PATH


def load_knowledge_base(path: Path | None = None) -> list[dict[str, str]]:
    """Read and check the Q&A entries.

    Args:
        path: the JSON file to read; defaults to `kb_path()`.

    Returns:
        The entries, each a dict with the string keys "question" and "answer".

    Raises:
        KnowledgeBaseError: the file is missing, unreadable, not JSON, or not a list of Q&A entries;
            the message names the file and the fix.
    """
    path = path or kb_path()
    hint = f"(set {KB_PATH_VARIABLE} to a valid file, or unset it to use {DEFAULT_KB_PATH})"
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise KnowledgeBaseError(f"knowledge base file {path} does not exist {hint}") from None
    except OSError as exc:
        raise KnowledgeBaseError(
            f"knowledge base file {path} cannot be read: {exc.strerror} {hint}"
        ) from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise KnowledgeBaseError(
            f"knowledge base file {path} is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}"
        ) from None
    if not isinstance(data, list):
        raise KnowledgeBaseError(
            f'knowledge base file {path} must hold a JSON list of {{"question", "answer"}} objects, '
            f"found a {type(data).__name__}"
        )
    for number, entry in enumerate(data, 1):
        if not isinstance(entry, dict):
            raise KnowledgeBaseError(f"knowledge base file {path}: entry {number} is not a JSON object")
        for key in ("question", "answer"):
            if not isinstance(entry.get(key), str) or not entry[key].strip():
                raise KnowledgeBaseError(
                    f"knowledge base file {path}: entry {number} needs a non-empty string {key!r}"
                )
    return [{"question": entry["question"], "answer": entry["answer"]} for entry in data]


def format_knowledge_base(entries: list[dict[str, str]]) -> str:
    """Render the entries as numbered Q/A text, the shape the seed's server returns to the model."""
    lines = ["Here is the retrieved knowledge base:", ""]
    for number, entry in enumerate(entries, 1):
        lines += [f"Q{number}: {entry['question']}", f"A{number}: {entry['answer']}", ""]
    return "\n".join(lines)


def get_knowledge_base() -> str:
    """Retrieve the entire knowledge base as a formatted string.

    It answers questions on company policy and how-tos: vacation days, sick leave and sick days,
    parental leave, remote work, expense reports, business travel and how much to spend on hotels, software licenses, laptops,
    training budget, code of conduct, passwords and multi-factor authentication, security
    incidents, mobile phone plans.

    Returns:
        A formatted string containing all Q&A pairs from the knowledge base.
    """
    try:
        return format_knowledge_base(load_knowledge_base())
    except KnowledgeBaseError as exc:
        # ToolError reaches the client as an isError result with this text, not as a crash
        raise ToolError(str(exc)) from exc


def build_server() -> FastMCP:
    """Create the "knowledge-base" server: the `get_knowledge_base` tool, counted, plus `workbook://stats`."""
    mcp = FastMCP("knowledge-base")
    counter = CallCounter()
    mcp.tool()(counter.wrap(get_knowledge_base))
    expose_stats(mcp, counter)
    return mcp


if __name__ == "__main__":
    run(build_server())
