"""Check the Azure OpenAI settings before the first call, and say how to fix what is wrong.

`connect("azure")` stops at the first missing setting; `validate_azure_environment` lists every
problem at once, each as a sentence that names the variable and the fix, so a reader can repair
their `.env` in one go. `explain_api_error` turns the HTTP errors Azure answers with (401, 403,
404, 429) into the usual cause and fix. No function here ever shows a key or a token.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager

from helpers import settings
from helpers.errors import ConfigError

AUTH_MODES = ("key", "managed_identity")
ROLE = "Cognitive Services OpenAI User"
AZURE_PREFIX = "AZURE_"
_API_VERSION = re.compile(r"^\d{4}-\d{2}-\d{2}(-preview)?$")
_LOOPBACK = ("http://127.0.0.1", "http://localhost")
ROLE_HINT = (
    f"The identity DefaultAzureCredential picks needs the {ROLE!r} role on the Azure OpenAI resource "
    "(Azure portal > the resource > Access control (IAM) > Add role assignment); "
    "a new assignment can take a few minutes to apply."
)


def _reader(environ: Mapping[str, str] | None) -> Callable[[str], str | None]:
    if environ is None:
        return lambda name: settings.setting(name)  # the environment, then the project's .env
    return lambda name: environ.get(name) or None


def credential_kind(auth: str | None = None, environ: Mapping[str, str] | None = None) -> str:
    """Which credential `connect(..., api="azure", auth=auth)` sends: "api-key" or "bearer".

    An empty `auth` means key mode when AZURE_OPENAI_API_KEY is set, else Microsoft Entra ID.
    """
    if auth == "key":
        return "api-key"
    if auth == "managed_identity":
        return "bearer"
    return "api-key" if _reader(environ)("AZURE_OPENAI_API_KEY") else "bearer"


def auth_requirements(auth: str | None = None, environ: Mapping[str, str] | None = None) -> str:
    """One sentence: what the chosen authentication mode needs from you."""
    if credential_kind(auth, environ) == "api-key":
        return (
            "Key mode: the client sends AZURE_OPENAI_API_KEY in the `api-key` header; take KEY 1 or KEY 2 "
            "from the Azure portal > the resource > Keys and Endpoint."
        )
    return (
        "Managed identity mode: DefaultAzureCredential gets a Bearer token for "
        "https://cognitiveservices.azure.com/.default and no key is sent. " + ROLE_HINT
    )


def validate_azure_environment(
    auth: str | None = None, environ: Mapping[str, str] | None = None
) -> list[str]:
    """Every problem with the Azure OpenAI settings, as sentences that name the variable and the fix.

    Args:
        auth: "key", "managed_identity", or empty (key mode when AZURE_OPENAI_API_KEY is set).
        environ: the settings to check; None means the environment, then the project's `.env`.

    Returns:
        The problems; an empty list means `connect("azure", auth=auth)` has what it needs.
    """
    get = _reader(environ)
    problems: list[str] = []
    if auth not in (None, "", *AUTH_MODES):
        problems.append(f"AUTH={auth!r} is not known: use 'key' or 'managed_identity'.")
    endpoint = get("AZURE_OPENAI_ENDPOINT")
    if endpoint is None:
        problems.append(
            "AZURE_OPENAI_ENDPOINT is not set: copy it from the Azure portal > your Azure OpenAI "
            "resource > Keys and Endpoint; it looks like https://<resource>.openai.azure.com/."
        )
    elif not endpoint.startswith("https://") and not endpoint.startswith(_LOOPBACK):
        problems.append(
            f"AZURE_OPENAI_ENDPOINT={endpoint!r} must start with https:// "
            "(for example https://my-resource.openai.azure.com/)."
        )
    elif "/openai/" in endpoint:
        problems.append(
            "AZURE_OPENAI_ENDPOINT must be the resource URL only (https://<resource>.openai.azure.com/), "
            "not a full request URL with /openai/deployments/...: the client adds that part."
        )
    deployment = get("AZURE_OPENAI_DEPLOYMENT_NAME")
    if deployment is None:
        problems.append(
            "AZURE_OPENAI_DEPLOYMENT_NAME is not set: use the deployment name from Azure AI Foundry > "
            "Deployments (the name you gave it, which may differ from the model name)."
        )
    elif re.search(r"[\s/]", deployment):
        problems.append(
            f"AZURE_OPENAI_DEPLOYMENT_NAME={deployment!r} contains spaces or slashes: "
            "use the bare deployment name."
        )
    version = get("AZURE_OPENAI_API_VERSION")
    if version is not None and not _API_VERSION.match(version):
        problems.append(
            f"AZURE_OPENAI_API_VERSION={version!r} is not a version such as 2024-10-21 or "
            "2025-01-01-preview; leave it empty for the workbook's default."
        )
    key = get("AZURE_OPENAI_API_KEY")
    if auth == "key" and key is None:
        problems.append(
            "AZURE_OPENAI_API_KEY is not set, and AUTH='key' needs it: copy KEY 1 from the Azure "
            "portal > the resource > Keys and Endpoint into .env, or use AUTH='managed_identity'."
        )
    if key is not None and auth != "managed_identity" and key != key.strip().strip("'\""):
        problems.append("AZURE_OPENAI_API_KEY has spaces or quotes around it: remove them in .env.")
    if credential_kind(auth, environ) == "bearer":
        secret = get("AZURE_CLIENT_SECRET") or get("AZURE_CLIENT_CERTIFICATE_PATH")
        missing = [name for name in ("AZURE_TENANT_ID", "AZURE_CLIENT_ID") if get(name) is None]
        if secret and missing:
            problems.append(
                f"A service principal is half configured: {' and '.join(missing)} "
                f"{'is' if len(missing) == 1 else 'are'} missing, so DefaultAzureCredential skips it "
                "and tries the next credential. Set all three AZURE_TENANT_ID, AZURE_CLIENT_ID and "
                "AZURE_CLIENT_SECRET, or none of them to use the managed identity."
            )
    return problems


def require_azure_environment(auth: str | None = None, environ: Mapping[str, str] | None = None) -> None:
    """Raise ConfigError listing every problem `validate_azure_environment` finds (and, for Entra ID, the role)."""
    problems = validate_azure_environment(auth, environ)
    if problems:
        extra = [ROLE_HINT] if credential_kind(auth, environ) == "bearer" else []
        lines = "\n".join(f"- {p}" for p in [*problems, *extra])
        raise ConfigError(
            f"The Azure OpenAI settings are not ready:\n{lines}\nSet them in the environment or "
            f"in {settings.ENV_FILE} (see .env.example)."
        )


def explain_api_error(error: Exception | int, auth: str | None = None) -> str:
    """The usual cause and fix of an error from an Azure OpenAI call (or of an HTTP status code)."""
    status = error if isinstance(error, int) else getattr(error, "status_code", None)
    bearer = credential_kind(auth) == "bearer"
    if status == 401 and bearer:
        return (
            "401: the Bearer token was refused. It is for another tenant or audience, or expired: check which "
            "identity DefaultAzureCredential picked (AZURE_TENANT_ID, AZURE_CLIENT_ID) and that the scope is "
            "https://cognitiveservices.azure.com/.default."
        )
    if status == 401:
        return (
            "401: the api-key was refused. AZURE_OPENAI_API_KEY must be KEY 1 or KEY 2 of the same resource as "
            "AZURE_OPENAI_ENDPOINT (Keys and Endpoint); a regenerated key invalidates the old one. "
            "The SDK does not retry a 401: repeating a wrong key cannot help."
        )
    if status == 403 and bearer:
        return "403: the token is valid but the identity may not call this resource. " + ROLE_HINT
    if status == 403:
        return "403: the resource refuses this caller: check its Networking settings (firewall, private endpoint)."
    if status == 404:
        return (
            "404: no such deployment. AZURE_OPENAI_DEPLOYMENT_NAME must be a deployment of this resource "
            "(Azure AI Foundry > Deployments), and AZURE_OPENAI_API_VERSION must be one it supports."
        )
    if status == 429:
        return (
            "429: rate limit or quota. The SDK already retried, waiting as Retry-After said; raise max_retries, "
            "send fewer tokens per minute, or raise the deployment's quota (tokens per minute)."
        )
    if status is not None and status >= 500:
        return f"{status}: a service error; the SDK retries these with exponential backoff. Try again later."
    return f"HTTP {error}" if isinstance(error, int) else f"{type(error).__name__}: {error}"


def hidden_azure_settings(instead: Mapping[str, str] | None = None) -> AbstractContextManager[None]:
    """Within the block, AZURE_* settings come only from `instead` (default: none), not the environment or `.env`."""
    return settings.hidden(AZURE_PREFIX, instead)
