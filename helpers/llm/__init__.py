"""Model endpoints: the backend switch, the wire log, cassettes, Azure settings, the local managed identity."""

from helpers.llm.azure import (
    auth_requirements,
    credential_kind,
    explain_api_error,
    hidden_azure_settings,
    require_azure_environment,
    validate_azure_environment,
)
from helpers.llm.backends import AZURE_API_VERSION, BACKENDS, Backend, connect, discover_model
from helpers.llm.cassettes import cassette_name, save_cassette
from helpers.llm.wire import Exchange, WireLog

__all__ = [
    "AZURE_API_VERSION",
    "BACKENDS",
    "Backend",
    "Exchange",
    "WireLog",
    "auth_requirements",
    "cassette_name",
    "connect",
    "credential_kind",
    "discover_model",
    "explain_api_error",
    "hidden_azure_settings",
    "require_azure_environment",
    "save_cassette",
    "validate_azure_environment",
]
