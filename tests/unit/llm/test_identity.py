"""The local managed-identity endpoint, driven by azure-identity's real credentials."""

from __future__ import annotations

import os
from collections.abc import Iterator

import httpx
import pytest
from azure.core.exceptions import ClientAuthenticationError
from azure.identity import DefaultAzureCredential, ManagedIdentityCredential, get_bearer_token_provider

from helpers.llm.identity import API_VERSION, IdentityEndpoint, start_identity_endpoint

SCOPE = "https://cognitiveservices.azure.com/.default"
RESOURCE = "https://cognitiveservices.azure.com"


@pytest.fixture
def endpoint(monkeypatch: pytest.MonkeyPatch) -> Iterator[IdentityEndpoint]:
    """A running endpoint whose variables are the only Azure/identity settings in os.environ."""
    # A developer's own AZURE_* or MSI_* settings would steer azure-identity elsewhere
    for name in list(os.environ):
        if name.startswith(("AZURE_", "MSI_", "IDENTITY_", "IMDS_")):
            monkeypatch.delenv(name)
    with start_identity_endpoint() as ep:
        for name, value in ep.env().items():
            monkeypatch.setenv(name, value)
        yield ep


def test_managed_identity_credential_gets_a_valid_token_and_caches_it(endpoint: IdentityEndpoint) -> None:
    credential = ManagedIdentityCredential()
    first = credential.get_token(SCOPE)
    assert endpoint.is_valid(first.token)
    assert endpoint.is_valid(first.token, resource=RESOURCE)
    assert not endpoint.is_valid(first.token, resource="https://management.azure.com")
    assert endpoint.token_requests == 1

    second = credential.get_token(SCOPE)  # served from azure-identity's (MSAL's) token cache
    assert second.token == first.token
    assert endpoint.token_requests == 1
    [issued] = endpoint.issued
    assert issued.resource == RESOURCE and not issued.expired


def test_default_credential_and_bearer_token_provider(endpoint: IdentityEndpoint) -> None:
    # Only managed identity in the chain, so no developer tool on this machine can answer instead
    credential = DefaultAzureCredential(
        exclude_environment_credential=True,
        exclude_workload_identity_credential=True,
        exclude_shared_token_cache_credential=True,
        exclude_visual_studio_code_credential=True,
        exclude_cli_credential=True,
        exclude_powershell_credential=True,
        exclude_developer_cli_credential=True,
        exclude_broker_credential=True,
    )
    token_provider = get_bearer_token_provider(credential, SCOPE)
    token = token_provider()
    assert endpoint.is_valid(token, resource=RESOURCE)
    assert token_provider() == token
    assert endpoint.token_requests == 1


def test_wrong_identity_header_fails_in_azure_identity(
    endpoint: IdentityEndpoint, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("IDENTITY_HEADER", "not-the-secret")
    with pytest.raises(ClientAuthenticationError, match="X-IDENTITY-HEADER"):
        ManagedIdentityCredential().get_token(SCOPE)
    assert endpoint.issued == []


def test_user_assigned_identity_client_id_is_echoed(endpoint: IdentityEndpoint) -> None:
    token = ManagedIdentityCredential(client_id="00000000-0000-0000-0000-0000000000aa").get_token(SCOPE)
    assert endpoint.is_valid(token.token)
    assert [t.client_id for t in endpoint.issued] == ["00000000-0000-0000-0000-0000000000aa"]


def test_unknown_resource_fails_in_azure_identity(endpoint: IdentityEndpoint) -> None:
    with pytest.raises(ClientAuthenticationError, match="unknown resource"):
        ManagedIdentityCredential().get_token("https://example.invalid/.default")


@pytest.mark.parametrize(
    ("headers", "params", "status"),
    [
        ({}, {"api-version": API_VERSION, "resource": RESOURCE}, 401),
        ({"X-IDENTITY-HEADER": "wrong"}, {"api-version": API_VERSION, "resource": RESOURCE}, 403),
        ("secret", {"api-version": API_VERSION, "resource": "https://example.invalid"}, 400),
        ("secret", {"api-version": API_VERSION}, 400),
        ("secret", {"api-version": "2017-09-01", "resource": RESOURCE}, 400),
    ],
    ids=["missing-header", "wrong-header", "unknown-resource", "no-resource", "old-api-version"],
)
def test_endpoint_rejects_bad_requests(
    endpoint: IdentityEndpoint, headers: dict[str, str] | str, params: dict[str, str], status: int
) -> None:
    if headers == "secret":
        headers = {"X-IDENTITY-HEADER": endpoint.header_secret}
    reply = httpx.get(endpoint.endpoint, params=params, headers=headers, timeout=5)
    assert reply.status_code == status
    body = reply.json()
    assert body["statusCode"] == status and body["message"]
    assert "access_token" not in body
    assert endpoint.issued == []


def test_direct_request_returns_the_app_service_fields(endpoint: IdentityEndpoint) -> None:
    reply = httpx.get(
        endpoint.endpoint,
        params={"api-version": API_VERSION, "resource": RESOURCE + "/"},
        headers={"X-IDENTITY-HEADER": endpoint.header_secret},
        timeout=5,
    )
    assert reply.status_code == 200
    body = reply.json()
    assert set(body) >= {"access_token", "expires_on", "resource", "token_type", "client_id"}
    assert body["token_type"] == "Bearer" and body["expires_on"].isdigit()
    assert endpoint.is_valid(body["access_token"], resource=RESOURCE)
    assert not endpoint.is_valid("made-up-token")
    assert httpx.get(endpoint.endpoint.replace("/msi/token", "/other"), timeout=5).status_code == 404


def test_repr_hides_secrets_and_expired_tokens_are_invalid() -> None:
    with start_identity_endpoint(token_lifetime=0) as ep:
        token, _ = ep.issue(RESOURCE)
        text = repr(ep)
        assert ep.header_secret not in text and token not in text
        assert token not in repr(ep.issued)
        assert not ep.is_valid(token)  # lifetime 0: expired the moment it was issued
        port = ep.port
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"http://127.0.0.1:{port}/msi/token", timeout=5)
