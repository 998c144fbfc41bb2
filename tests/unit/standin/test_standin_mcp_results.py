"""The stand-in answers from MCP results the way Autogen's McpToolAdapter passes them (content blocks)."""

from __future__ import annotations

import json

from helpers.standin.answer import describe_result

PARIS = {"timezone": "Europe/Paris", "datetime": "2025-09-17T17:43:05+02:00", "is_dst": True}


def test_content_blocks_are_read_like_the_text_inside() -> None:
    blocks = json.dumps([{"type": "text", "text": json.dumps(PARIS, indent=2), "annotations": None}])
    assert describe_result("get_current_time", blocks, "What time is it in Europe/Paris?") == (
        describe_result("get_current_time", json.dumps(PARIS), "What time is it in Europe/Paris?")
    )
    assert "5:43 PM" in describe_result("get_current_time", blocks, "")


def test_other_lists_are_quoted_item_by_item() -> None:
    assert (
        describe_result("list_pods", json.dumps(["a", "b"]), "")
        == "list_pods returned 2 items: [0]: a; [1]: b."
    )
