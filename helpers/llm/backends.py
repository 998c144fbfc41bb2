"""One switch for every notebook: `connect(BACKEND, BASE_URL, MODEL)` returns ready clients and a model id.

Backends:
- "standin": the offline stand-in endpoint on 127.0.0.1 (not a model), started on demand;
- "openai": api.openai.com with OPENAI_API_KEY;
- "azure": Azure OpenAI with AZURE_OPENAI_ENDPOINT, AZURE_OPENAI_DEPLOYMENT_NAME and either
  AZURE_OPENAI_API_KEY or Microsoft Entra ID (DefaultAzureCredential, managed identity);
- "openai-compatible": any /v1 endpoint (KAITO/vLLM, Ollama, LM Studio, llama.cpp) at BASE_URL.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal, cast, get_args

import httpx
import openai

from helpers.errors import ConfigError
from helpers.llm.identity import IdentityEndpoint, point_azure_identity_at, shared_identity_endpoint
from helpers.llm.wire import WireLog
from helpers.settings import required, setting
from helpers.standin import DEFAULT_DEPLOYMENT, StandIn, shared_standin

BackendKind = Literal["standin", "openai", "azure", "openai-compatible"]
Api = Literal["openai", "azure"]  # which wire dialect the clients speak
Auth = Literal["api-key", "bearer", "none"]  # what proves the caller: a key, an Entra ID token, nothing
AzureAuth = Literal["key", "managed_identity"]  # what the reader chooses in notebook 03
BACKENDS: tuple[BackendKind, ...] = get_args(BackendKind)
AZURE_SCOPE = "https://cognitiveservices.azure.com/.default"
AZURE_API_VERSION = "2024-10-21"
OPENAI_DEFAULT_MODEL = "gpt-4o-mini"


@dataclass
class Backend:
    """Configured clients for one backend; the key is kept out of the repr."""

    kind: BackendKind
    model: str
    base_url: str
    client: openai.OpenAI = field(repr=False)
    async_client: openai.AsyncOpenAI = field(repr=False)
    api: Api = "openai"
    auth: Auth = "api-key"
    standin: StandIn | None = field(default=None, repr=False)
    wire: WireLog = field(default_factory=WireLog, repr=False)
    api_key: str | None = field(default=None, repr=False)  # for libraries that take a key (Autogen)
    identity: IdentityEndpoint | None = field(default=None, repr=False)  # offline managed identity
    auth_headers: Callable[[], dict[str, str]] = field(default=dict, repr=False)

    def chat_endpoint(self) -> tuple[str, dict[str, str]]:
        """The chat completions URL and auth headers, for sending a request by hand (never print the headers)."""
        if self.api == "azure":
            version = setting("AZURE_OPENAI_API_VERSION", default=AZURE_API_VERSION)
            return f"{self.base_url}/chat/completions?api-version={version}", self.auth_headers()
        return f"{self.base_url.rstrip('/')}/chat/completions", self.auth_headers()

    @property
    def is_standin(self) -> bool:
        return self.kind == "standin"

    def describe(self) -> str:
        """One line for the notebook banner; says loudly when the stand-in answers."""
        who = (
            "the offline STAND-IN endpoint (deterministic, not a language model)"
            if self.is_standin
            else f"{self.kind} ({self.api} API)"
        )
        return f"Backend: {who} | model: {self.model} | endpoint: {self.base_url} | auth: {self.auth}"

    def _repr_html_(self) -> str:
        colour = "#8a4b00" if self.is_standin else "#1b5e20"
        return f"<div style='padding:4px 8px;border-left:4px solid {colour}'><b>{self.describe()}</b></div>"


def _client_options(max_retries: int | None, timeout: float | None) -> dict[str, Any]:
    retries = max_retries if max_retries is not None else int(setting("WORKBOOK_MAX_RETRIES", default="3"))
    seconds = timeout if timeout is not None else float(setting("WORKBOOK_TIMEOUT", default="60"))
    return {"max_retries": retries, "timeout": seconds}


def connect(
    backend: str | None = None,
    base_url: str | None = None,
    model: str | None = None,
    *,
    api: Api = "openai",
    auth: AzureAuth | None = None,
    max_retries: int | None = None,
    timeout: float | None = None,
    standin_model: str | None = None,
) -> Backend:
    """Return configured sync and async openai clients and the model id for `backend`.

    Their HTTP clients (`backend.wire.http_client()`-made) go through wire.PortableTransport: null assistant content
    is sent as "", a reply's deprecated `function_call` next to `tool_calls` is dropped, and `backend.wire` logs it.

    Args:
        backend: one of BACKENDS; empty means the BACKEND setting, else "standin".
        base_url: for "openai-compatible" (required) and "openai" (optional override).
        model: model id (deployment name for Azure); discovered or defaulted when empty.
        api: "azure" makes the stand-in serve the Azure route with AzureOpenAI clients.
        auth: for Azure: "key" or "managed_identity"; empty: key when AZURE_OPENAI_API_KEY is set.
        max_retries, timeout: the openai SDK's own retry count and timeout (seconds).
        standin_model: for "standin" only: a model id the stand-in lists first (and answers as),
            to pose as a given server, e.g. "phi-4-mini-instruct-standin" for KAITO. Must say stand-in.

    Raises:
        ConfigError: a setting is missing or wrong; the message names it and the fix.
    """
    kind = (setting("BACKEND", backend, "standin") or "standin").strip().lower()
    if kind not in BACKENDS:
        raise ConfigError(f"BACKEND={kind!r} is not known. Use one of: {', '.join(BACKENDS)}.")
    kind = cast(BackendKind, kind)
    options = _client_options(max_retries, timeout)
    if kind == "azure" or (kind == "standin" and api == "azure"):
        return _azure(kind, model, auth, options)
    if kind == "standin":
        standin = shared_standin()
        if standin_model:
            standin.serve_model(standin_model)
        return _openai_style(
            kind, standin.base_url, standin.api_key, model or standin.model_ids[0], options, standin=standin
        )
    if kind == "openai":
        key = required("OPENAI_API_KEY", how="Create a key at https://platform.openai.com/api-keys.")
        url = setting("BASE_URL", base_url, "https://api.openai.com/v1")
        return _openai_style(kind, url, key, setting("MODEL", model, OPENAI_DEFAULT_MODEL), options)
    url = required(
        "BASE_URL",
        base_url,
        how="Point it at the server's /v1 URL, for KAITO after "
        "`kubectl port-forward svc/workspace-phi-4-mini-toolcall 8000:80`: http://localhost:8000/v1.",
    )
    if not url.startswith(("http://", "https://")):
        raise ConfigError(
            f"BASE_URL={url!r} must start with http:// or https:// (for example http://localhost:8000/v1)."
        )
    key = setting("OPENAI_COMPATIBLE_API_KEY", default="not-needed")  # vLLM without --api-key takes any key
    chosen = setting("MODEL", model) or discover_model(url, key)
    return _openai_style(kind, url, key, chosen, options)


def _openai_style(
    kind: BackendKind, url: str, key: str, model: str, options: dict[str, Any], standin: StandIn | None = None
) -> Backend:
    wire = WireLog()
    client = openai.OpenAI(base_url=url, api_key=key, http_client=wire.http_client(), **options)
    async_client = openai.AsyncOpenAI(
        base_url=url, api_key=key, http_client=wire.async_http_client(), **options
    )
    return Backend(
        kind=kind,
        model=model,
        base_url=url,
        client=client,
        async_client=async_client,
        api="openai",
        auth="api-key",
        standin=standin,
        wire=wire,
        api_key=key,
        auth_headers=lambda: {"Authorization": f"Bearer {key}"},
    )


def discover_model(base_url: str, api_key: str = "not-needed") -> str:
    """The first model id `GET {base_url}/models` lists, as the seed does for KAITO."""
    try:
        response = httpx.get(
            base_url.rstrip("/") + "/models", headers={"Authorization": f"Bearer {api_key}"}, timeout=10
        )
    except httpx.ConnectError as exc:
        raise ConfigError(
            f"connection refused at {base_url}: nothing is listening there. For KAITO, keep "
            "`kubectl port-forward svc/workspace-phi-4-mini-toolcall 8000:80` running; for Ollama "
            "or LM Studio, start the server; then check BASE_URL."
        ) from exc
    except httpx.HTTPError as exc:
        raise ConfigError(f"could not list models at {base_url}/models: {exc}. Check BASE_URL.") from exc
    if response.status_code != 200:
        raise ConfigError(
            f"{base_url}/models answered HTTP {response.status_code}. Check BASE_URL and "
            "OPENAI_COMPATIBLE_API_KEY, or set MODEL to skip discovery."
        )
    models = response.json().get("data") or []
    if not models:
        raise ConfigError(f"{base_url}/models lists no model. Load a model on the server or set MODEL.")
    return models[0]["id"]


def _azure(kind: BackendKind, model: str | None, auth: str | None, options: dict[str, Any]) -> Backend:
    if auth not in (None, "", "key", "managed_identity"):
        raise ConfigError(f"AUTH={auth!r} is not known. Use 'key' or 'managed_identity'.")
    standin = shared_standin() if kind == "standin" else None
    identity = None
    if standin is not None:
        endpoint, deployment = standin.url, model or DEFAULT_DEPLOYMENT
        key = standin.api_key if (auth or "key") == "key" else None
        if key is None:  # managed identity, offline: a local token endpoint that azure-identity really calls
            identity = shared_identity_endpoint()
            point_azure_identity_at(identity)
            standin.token_verifier = identity.is_valid
    else:
        endpoint = required(
            "AZURE_OPENAI_ENDPOINT",
            how="It looks like https://<resource>.openai.azure.com/ "
            "(Azure portal > your Azure OpenAI resource > Keys and Endpoint).",
        )
        if not endpoint.startswith("https://"):
            raise ConfigError(
                f"AZURE_OPENAI_ENDPOINT={endpoint!r} must start with https:// "
                "(for example https://my-resource.openai.azure.com/)."
            )
        deployment = required(
            "AZURE_OPENAI_DEPLOYMENT_NAME",
            model,
            how="Use the deployment name from Azure AI Foundry > Deployments, not the model name.",
        )
        key = setting("AZURE_OPENAI_API_KEY") if auth != "managed_identity" else None
        if auth == "key" and key is None:
            raise ConfigError(
                "AUTH='key' needs AZURE_OPENAI_API_KEY (Azure portal > Keys and Endpoint), "
                "or use AUTH='managed_identity'."
            )
    version = setting("AZURE_OPENAI_API_VERSION", default=AZURE_API_VERSION)
    wire = WireLog()
    common: dict[str, Any] = {
        "azure_endpoint": endpoint,
        "azure_deployment": deployment,
        "api_version": version,
        **options,
    }
    if key is not None:
        credentials: dict[str, Any] = {"api_key": key}
        mode: Auth = "api-key"

        def headers() -> dict[str, str]:
            return {"api-key": key}
    else:
        provider = azure_token_provider()
        credentials = {"azure_ad_token_provider": provider}
        mode = "bearer"

        def headers() -> dict[str, str]:
            return {"Authorization": f"Bearer {provider()}"}

    client = openai.AzureOpenAI(http_client=wire.http_client(), **credentials, **common)
    async_client = openai.AsyncAzureOpenAI(http_client=wire.async_http_client(), **credentials, **common)
    base = f"{endpoint.rstrip('/')}/openai/deployments/{deployment}"
    return Backend(
        kind=kind,
        model=deployment,
        base_url=base,
        client=client,
        async_client=async_client,
        api="azure",
        auth=mode,
        standin=standin,
        wire=wire,
        api_key=key,
        identity=identity,
        auth_headers=headers,
    )


def azure_token_provider():
    """A bearer-token provider from DefaultAzureCredential for the Cognitive Services scope.

    The identity needs the "Cognitive Services OpenAI User" role on the Azure OpenAI resource.
    """
    from azure.identity import DefaultAzureCredential, get_bearer_token_provider

    return get_bearer_token_provider(DefaultAzureCredential(), AZURE_SCOPE)
