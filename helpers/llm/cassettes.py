"""Record a live run's model exchanges as a cassette the stand-in replays offline.

A teacher runs a notebook once against the real model with `RECORD = True`; `save_cassette`
writes the chat exchanges of the run's WireLog to `data/cassettes/<notebook>-<model>.json`.
With `BACKEND = "standin"` the stand-in loads every file there at start and replays the
recording while the conversation matches it. No header is stored, and a body that holds
anything secret-looking (the key, a Bearer token, a JWT, a secret field) stops the save.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from helpers.llm.wire import WireLog
from helpers.redact import find_secrets
from helpers.standin.cassette import Cassette, cassette_dir

# Environment variables whose values must never reach a cassette, whoever set them.
SECRET_SETTINGS = (
    "OPENAI_API_KEY",
    "AZURE_OPENAI_API_KEY",
    "OPENAI_COMPATIBLE_API_KEY",
    "IDENTITY_HEADER",
    "AZURE_CLIENT_SECRET",
)


class SecretInCassette(ValueError):
    """A recorded body holds something secret-looking; nothing was written."""


def cassette_name(notebook: str, model: str) -> str:
    """`<notebook>-<model>` as a safe file stem (slashes and odd characters become '-')."""
    return re.sub(r"[^A-Za-z0-9._-]+", "-", f"{Path(notebook).stem}-{model}").strip("-.")


def cassette_from_wire(wire: WireLog, name: str, description: str = "", model: str = "") -> dict[str, Any]:
    """The cassette document for the chat exchanges in `wire`: request messages and tool names, response bodies.

    Raises:
        ValueError: no exchange can be recorded (none captured, or all failed or streamed).
    """
    exchanges = []
    for exchange in wire.chat_exchanges():
        request, response = exchange.request_body, exchange.response_body
        if (
            exchange.status != 200
            or not isinstance(request, dict)
            or not isinstance(response, dict)
            or not response.get("choices")
        ):
            continue  # failures and streamed replies cannot be replayed
        tools = request.get("tools")
        exchanges.append(
            {
                "request": {
                    "messages": request.get("messages") or [],
                    "tools": [t.get("function", {}).get("name", "") for t in tools] if tools else [],
                },
                "response": response,
            }
        )
    if not exchanges:
        raise ValueError(
            "no chat exchange to record: the run made none, or every one failed or was streamed "
            "(record with stream=False)."
        )
    return {"name": name, "description": description, "recorded_model": model, "exchanges": exchanges}


def _known_secrets(secrets: Iterable[str]) -> list[str]:
    return [s for s in [*secrets, *(os.environ.get(k, "") for k in SECRET_SETTINGS)] if s and len(s) >= 8]


def save_cassette(
    wire: WireLog,
    name: str,
    description: str = "",
    *,
    model: str = "",
    secrets: Iterable[str] = (),
    folder: str | Path | None = None,
) -> Path:
    """Write the run in `wire` as `<folder>/<name>.json` and return its path.

    Args:
        wire: the WireLog of the client that talked to the live model (`backend.wire`).
        name: the cassette's name and file stem, e.g. `cassette_name("01_raw_json_tool_loop", model)`.
        description: what was recorded, for whoever opens the file.
        model: the model that answered.
        secrets: values that must not appear (pass the API key); key-shaped strings are refused anyway.
        folder: where to write; default `WORKBOOK_CASSETTE_DIR`, else `data/cassettes/`.

    Raises:
        SecretInCassette: a body holds a secret; the message names where, never what.
        ValueError: nothing recordable in `wire`.
    """
    doc = cassette_from_wire(wire, name, description, model)
    where = find_secrets(doc, _known_secrets(secrets))
    if where:
        raise SecretInCassette(
            f"not saved: something secret-looking is in the recording at {', '.join(where[:5])}. "
            "Remove it from the conversation (or the tool results) and record again."
        )
    target = Path(folder or cassette_dir())
    target.mkdir(parents=True, exist_ok=True)
    path = target / (re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-.") + ".json")
    path.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    Cassette.load(path)  # the stand-in must be able to read what we wrote
    return path


__all__ = ["SecretInCassette", "cassette_from_wire", "cassette_name", "save_cassette"]
