"""The workbook's one error tree: every error it raises on purpose names what was wrong and the fix.

Each class also derives from the built-in a caller would expect (ValueError, LookupError, ...),
so `except ValueError` around a config parse keeps working.
"""

from __future__ import annotations

__all__ = [
    "ConfigError",
    "EndpointError",
    "McpConnectionError",
    "NamespaceDeniedError",
    "ReadOnlyError",
    "SecretNotFoundError",
    "SecretStoreError",
    "ServerStartError",
    "ToolInputError",
    "UnknownServerError",
    "WorkbookError",
]


class WorkbookError(Exception):
    """Base of every error the workbook raises on purpose."""


class ConfigError(WorkbookError, ValueError):
    """A setting or a configuration document is missing or wrong; the message names it and the fix.

    `problems` lists (field path, explanation) pairs when a document has several mistakes at once.
    """

    def __init__(self, message: str, problems: list[tuple[str, str]] | None = None) -> None:
        super().__init__(message)
        self.problems: list[tuple[str, str]] = problems or []

    @classmethod
    def invalid(cls, what: str, problems: list[tuple[str, str]]) -> ConfigError:
        """One error for a document with `problems`, each shown on its own line."""
        lines = [f"{path}: {text}" if path else text for path, text in problems]
        noun = "problem" if len(problems) == 1 else "problems"
        return cls(f"invalid {what} ({len(problems)} {noun}):\n  - " + "\n  - ".join(lines), problems)


class ToolInputError(WorkbookError, ValueError):
    """A tool was called with arguments it cannot serve: unknown pod, bad SQL, too slow a query."""


class ReadOnlyError(ToolInputError):
    """The database refused a statement because the tool may only read."""


class SecretNotFoundError(WorkbookError, LookupError):
    """No environment variable and no store entry holds the named secret."""


class SecretStoreError(WorkbookError, RuntimeError):
    """The secret store cannot be read with the key at hand, or its key is malformed."""


class NamespaceDeniedError(WorkbookError, PermissionError):
    """An agent asked for an MCP server outside the namespaces it may use."""


class UnknownServerError(WorkbookError, LookupError):
    """An agent names an MCP server that no configuration defines."""


class McpConnectionError(WorkbookError, ConnectionError):
    """An MCP server could not be reached or stopped answering; the message says which and why."""


class EndpointError(WorkbookError, ConnectionError):
    """The model endpoint gave no usable reply (no answer in time, an HTTP error, unreachable); the
    message says which, and what to try."""


class ServerStartError(WorkbookError, RuntimeError):
    """A server process exited or did not answer in time; the message carries its log tail."""
