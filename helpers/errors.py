"""Errors the workbook's tools raise, so a model (and a reader) learns what to fix."""

from __future__ import annotations

from .settings import ConfigError  # one ConfigError for the whole package: a setting is missing or unusable

__all__ = ["ConfigError", "ReadOnlyError", "ToolInputError"]


class ToolInputError(ValueError):
    """A tool was called with arguments it cannot serve: unknown pod, bad SQL, too slow a query."""


class ReadOnlyError(ToolInputError):
    """The database refused a statement because the tool may only read."""
