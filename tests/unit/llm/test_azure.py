"""Azure OpenAI settings checks, credential selection, and the SDK's retry behaviour on the Azure route."""

from __future__ import annotations

import os

import openai
import pytest

from helpers import settings
from helpers.errors import ConfigError
from helpers.llm import azure as azure_env
from helpers.llm.azure import (
    ROLE,
    credential_kind,
    explain_api_error,
    hidden_azure_settings,
    require_azure_environment,
    validate_azure_environment,
)
from helpers.llm.backends import connect
from helpers.redact import fingerprint, leaked_secrets
from helpers.settings import setting

READY = {
    "AZURE_OPENAI_ENDPOINT": "https://my-resource.openai.azure.com/",
    "AZURE_OPENAI_DEPLOYMENT_NAME": "gpt-4o-mini",
}
HELLO = [{"role": "user", "content": "Hello"}]


@pytest.fixture(autouse=True)
def clean_env(monkeypatch, tmp_path):
    """No developer AZURE_* setting or .env leaks into these tests."""
    for name in list(os.environ):
        if name.startswith("AZURE_"):
            monkeypatch.delenv(name)
    monkeypatch.setattr(settings, "ENV_FILE", tmp_path / ".env")


# --- credential selection -----------------------------------------------------------------------
def test_credential_kind_follows_auth_then_the_key():
    assert credential_kind("key") == "api-key"
    assert credential_kind("managed_identity", {"AZURE_OPENAI_API_KEY": "k"}) == "bearer"
    assert credential_kind(None, {"AZURE_OPENAI_API_KEY": "k"}) == "api-key"
    assert credential_kind("", {}) == "bearer"


@pytest.mark.parametrize("auth, header", [("key", "api-key"), ("managed_identity", "bearer")])
def test_connect_sends_the_chosen_credential(auth, header):
    backend = connect("standin", api="azure", auth=auth, max_retries=0)
    assert backend.auth == credential_kind(auth) == header
    reply = backend.client.chat.completions.create(model=backend.model, messages=HELLO)
    assert "stand-in" in reply.choices[0].message.content
    assert backend.standin.last_auth == header
    assert (backend.identity is not None) == (auth == "managed_identity")


def test_managed_identity_token_is_fetched_once_and_reused():
    backend = connect("standin", api="azure", auth="managed_identity", max_retries=0)
    before = backend.identity.token_requests
    for _ in range(3):
        backend.client.chat.completions.create(model=backend.model, messages=HELLO)
    assert backend.identity.token_requests == before + 1  # azure-identity cached the token


# --- validation messages --------------------------------------------------------------------------
def test_empty_environment_names_every_missing_variable():
    key_problems = validate_azure_environment("key", environ={})
    assert [p.split(" ", 1)[0] for p in key_problems] == [
        "AZURE_OPENAI_ENDPOINT",
        "AZURE_OPENAI_DEPLOYMENT_NAME",
        "AZURE_OPENAI_API_KEY",
    ]
    assert "Keys and Endpoint" in key_problems[0] and "Deployments" in key_problems[1]
    assert "AUTH='managed_identity'" in key_problems[2]
    mi_problems = validate_azure_environment("managed_identity", environ={})
    assert len(mi_problems) == 2 and not any("API_KEY" in p for p in mi_problems)


def test_ready_settings_have_no_problems():
    assert validate_azure_environment("managed_identity", environ=READY) == []
    assert validate_azure_environment("key", environ={**READY, "AZURE_OPENAI_API_KEY": "k" * 32}) == []
    assert (
        validate_azure_environment(None, environ={**READY, "AZURE_OPENAI_API_VERSION": "2025-01-01-preview"})
        == []
    )


@pytest.mark.parametrize(
    "changes, fragment",
    [
        ({"AZURE_OPENAI_ENDPOINT": "my-resource.openai.azure.com"}, "must start with https://"),
        (
            {"AZURE_OPENAI_ENDPOINT": "https://r.openai.azure.com/openai/deployments/x/chat/completions"},
            "resource URL only",
        ),
        ({"AZURE_OPENAI_DEPLOYMENT_NAME": "gpt 4o/mini"}, "spaces or slashes"),
        ({"AZURE_OPENAI_API_VERSION": "v1"}, "is not a version"),
        ({"AZURE_OPENAI_API_KEY": '"abc"'}, "quotes around it"),
        ({"AZURE_CLIENT_SECRET": "s", "AZURE_CLIENT_ID": "c"}, "AZURE_TENANT_ID is missing"),
    ],
)
def test_each_mistake_gets_its_own_message(changes, fragment):
    auth = "key" if "AZURE_OPENAI_API_KEY" in changes else "managed_identity"
    [problem] = validate_azure_environment(auth, environ={**READY, **changes})
    assert fragment in problem


def test_loopback_http_endpoint_is_accepted_and_unknown_auth_is_not():
    assert (
        validate_azure_environment(
            "managed_identity", environ={**READY, "AZURE_OPENAI_ENDPOINT": "http://127.0.0.1:8080"}
        )
        == []
    )
    assert "AUTH='entra' is not known" in validate_azure_environment("entra", environ=READY)[0]


def test_validation_reads_the_environment_and_dotenv(monkeypatch):
    settings.ENV_FILE.write_text("AZURE_OPENAI_DEPLOYMENT_NAME=from-dotenv\n")
    monkeypatch.setenv("AZURE_OPENAI_ENDPOINT", READY["AZURE_OPENAI_ENDPOINT"])
    assert validate_azure_environment("managed_identity") == []


def test_require_lists_all_problems_and_the_role_for_managed_identity():
    with pytest.raises(ConfigError) as error:
        require_azure_environment("managed_identity", environ={})
    message = str(error.value)
    assert (
        "AZURE_OPENAI_ENDPOINT" in message and "AZURE_OPENAI_DEPLOYMENT_NAME" in message and ROLE in message
    )
    with pytest.raises(ConfigError) as error:
        require_azure_environment("key", environ=READY)
    assert "AZURE_OPENAI_API_KEY" in str(error.value) and ROLE not in str(error.value)
    require_azure_environment("managed_identity", environ=READY)  # no exception


@pytest.mark.parametrize(
    "status, auth, fragment",
    [
        (401, "key", "AZURE_OPENAI_API_KEY"),
        (401, "managed_identity", "Bearer token was refused"),
        (403, "managed_identity", ROLE),
        (404, "key", "AZURE_OPENAI_DEPLOYMENT_NAME"),
        (429, "key", "Retry-After"),
        (503, "key", "retries these"),
    ],
)
def test_api_errors_are_explained(status, auth, fragment):
    assert fragment in explain_api_error(status, auth)


# --- hiding settings, finding leaks ---------------------------------------------------------------
def test_hidden_azure_settings_hides_environment_and_dotenv_then_restores(monkeypatch):
    settings.ENV_FILE.write_text("AZURE_OPENAI_DEPLOYMENT_NAME=from-dotenv\nOTHER=kept\n")
    monkeypatch.setenv("AZURE_OPENAI_ENDPOINT", READY["AZURE_OPENAI_ENDPOINT"])
    with pytest.raises(ConfigError, match="AZURE_OPENAI_ENDPOINT is not set"), hidden_azure_settings():
        assert setting("AZURE_OPENAI_DEPLOYMENT_NAME") is None and setting("OTHER") == "kept"
        connect("azure")
    with hidden_azure_settings(instead={"AZURE_OPENAI_DEPLOYMENT_NAME": "placeholder"}):
        assert (
            setting("AZURE_OPENAI_DEPLOYMENT_NAME") == "placeholder"
            and setting("AZURE_OPENAI_ENDPOINT") is None
        )
    assert (
        os.environ["AZURE_OPENAI_ENDPOINT"] == READY["AZURE_OPENAI_ENDPOINT"]
    )  # the environment was never touched
    assert setting("AZURE_OPENAI_DEPLOYMENT_NAME") == "from-dotenv"


def test_leaked_secrets_finds_keys_tokens_and_jwts_without_repeating_them():
    key, token = "standin-" + "k" * 24, "T0k3n_" + "x" * 37
    assert leaked_secrets("clean log line", [key], [fingerprint(token)]) == []
    found = leaked_secrets(f"api-key={key}", [key, None])
    assert found == ["secret #1 appears"] and key not in " ".join(found)
    assert leaked_secrets(f"token:{token}.", fingerprints=[fingerprint(token)]) == [
        "an issued access token appears"
    ]
    assert leaked_secrets(f"x{token}y", fingerprints=[fingerprint(token)]) == [
        "an issued access token appears"
    ]
    assert "a JWT-shaped token appears" in leaked_secrets("eyJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJodHRwczovL2Nv")
    assert leaked_secrets("Authorization: Bearer abcdefghijklmnopqrstuvwxyz") == [
        "an Authorization: Bearer value appears"
    ]
    assert azure_env.ROLE_HINT.count(ROLE) == 1


# --- the SDK's retries on the Azure route ---------------------------------------------------------
def test_wrong_key_fails_once_without_retrying():
    backend = connect("standin", api="azure", auth="key")
    wrong = openai.AzureOpenAI(
        azure_endpoint=backend.standin.url,
        azure_deployment=backend.model,
        api_version="2024-10-21",
        api_key="not-the-key",
        max_retries=2,
    )
    before = backend.standin.snapshot()["counts"]
    with pytest.raises(openai.AuthenticationError) as error:
        wrong.chat.completions.create(model=backend.model, messages=HELLO)
    after = backend.standin.snapshot()["counts"]
    assert after["requests"] - before.get("requests", 0) == 1
    assert after["errors_401"] - before.get("errors_401", 0) == 1
    assert "not-the-key" not in str(error.value)


def test_unknown_deployment_is_a_404_without_retrying():
    backend = connect("standin", api="azure", auth="key", model="no-such-deployment", max_retries=2)
    with pytest.raises(openai.NotFoundError, match="DeploymentNotFound|does not exist"):
        backend.client.chat.completions.create(model=backend.model, messages=HELLO)
    assert [e.status for e in backend.wire.chat_exchanges()] == [404]


@pytest.mark.parametrize("auth", ["key", "managed_identity"])
def test_429_with_retry_after_is_retried_by_the_sdk(auth):
    backend = connect("standin", api="azure", auth=auth, max_retries=2)
    before = backend.standin.snapshot()["counts"]
    backend.standin.inject("status", status=429, retry_after=0.1)
    reply = backend.client.chat.completions.create(model=backend.model, messages=HELLO)
    after = backend.standin.snapshot()["counts"]
    assert reply.choices[0].message.content
    assert after["chat_requests"] - before.get("chat_requests", 0) == 2
    assert after["errors_429"] - before.get("errors_429", 0) == 1
    assert [e.status for e in backend.wire.chat_exchanges()] == [429, 200]
    assert backend.wire.chat_exchanges()[1].request_headers["x-stainless-retry-count"] == "1"


def test_429_without_retries_reaches_the_caller():
    backend = connect("standin", api="azure", auth="key", max_retries=0)
    backend.standin.inject("status", status=429, retry_after=0.1)
    with pytest.raises(openai.RateLimitError) as error:
        backend.client.chat.completions.create(model=backend.model, messages=HELLO)
    assert "Retry-After" in explain_api_error(error.value, "key")
