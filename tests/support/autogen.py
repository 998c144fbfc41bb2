"""What tests tell Autogen about a model it does not know by name, as notebook 04's `model_info` cell does."""

from __future__ import annotations

from typing import Any


def unknown_model_info() -> dict[str, Any]:
    """The `model_info` of notebook 04: a function-calling model of no family Autogen handles specially."""
    from autogen_core.models import ModelFamily

    return {
        "vision": False,
        "function_calling": True,
        "json_output": True,
        "family": ModelFamily.UNKNOWN,
        "structured_output": True,
        "multiple_system_messages": True,
    }
