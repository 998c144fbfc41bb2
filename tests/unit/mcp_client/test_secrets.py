"""Secret references: env first, then the encrypted local store; values never shown."""

from __future__ import annotations

import io
import logging
import stat
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from pydantic import SecretStr

from helpers.errors import SecretNotFoundError, SecretStoreError
from helpers.mcp_client.config import ExternalMCPServerConfig
from helpers.mcp_client.secrets import (
    KEY_ENV,
    SecretStore,
    default_secrets_dir,
    resolve_secret,
)
from helpers.redact import RedactingFilter, redact_text

NAME = "WORKBOOK_TEST_TOKEN"
VALUE = "Bearer tok-4f9a1c77e2b3"


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(KEY_ENV, raising=False)
    monkeypatch.delenv(NAME, raising=False)


@pytest.fixture
def store(tmp_path: Path) -> SecretStore:
    return SecretStore(tmp_path / "secrets" / "secrets.sqlite3")


def test_store_round_trip_and_key_file(store: SecretStore) -> None:
    store.set(NAME, VALUE)
    assert store.get(NAME).get_secret_value() == VALUE
    assert store.names() == [NAME] and NAME in store
    assert stat.S_IMODE(store.key_path.stat().st_mode) == 0o600
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600
    assert store.delete(NAME) and store.get(NAME) is None


def test_values_are_unreadable_in_the_file(store: SecretStore) -> None:
    store.set(NAME, VALUE)
    raw = store.path.read_bytes()
    assert NAME.encode() in raw  # names are stored in clear, so they can be listed
    assert VALUE.encode() not in raw and b"tok-4f9a" not in raw


def test_env_wins_over_store(store: SecretStore, monkeypatch: pytest.MonkeyPatch) -> None:
    store.set(NAME, "from-the-store")
    assert resolve_secret(NAME, store).get_secret_value() == "from-the-store"
    monkeypatch.setenv(NAME, "from-the-env")
    assert resolve_secret(NAME, store).get_secret_value() == "from-the-env"


def test_key_from_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(KEY_ENV, Fernet.generate_key().decode())
    store = SecretStore(tmp_path / "s.sqlite3")
    store.set(NAME, VALUE)
    assert not store.key_path.exists()  # the env key is used, no key file written
    assert SecretStore(tmp_path / "s.sqlite3").get(NAME).get_secret_value() == VALUE


def test_wrong_key_fails_clearly(store: SecretStore) -> None:
    store.set(NAME, VALUE)
    other = SecretStore(store.path, key=Fernet.generate_key())
    for attempt in (lambda: other.get(NAME), lambda: other.set("OTHER", "x")):
        with pytest.raises(SecretStoreError) as info:
            attempt()
        message = str(info.value)
        assert str(store.path) in message and "different key" in message and KEY_ENV in message
        assert VALUE not in message


def test_missing_key_file_with_entries_fails(store: SecretStore) -> None:
    store.set(NAME, VALUE)
    store.key_path.unlink()
    with pytest.raises(SecretStoreError, match="key file .* is missing"):
        SecretStore(store.path).get(NAME)


def test_malformed_key_is_named_not_echoed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(KEY_ENV, "not-a-fernet-key-zz9")
    with pytest.raises(SecretStoreError) as info:
        SecretStore(tmp_path / "s.sqlite3").set(NAME, VALUE)
    assert KEY_ENV in str(info.value) and "zz9" not in str(info.value)


def test_missing_secret_names_both_places_and_creates_nothing(store: SecretStore) -> None:
    with pytest.raises(SecretNotFoundError) as info:
        resolve_secret(NAME, store)
    message = str(info.value)
    assert NAME in message and "environment variable" in message and str(store.path) in message
    assert not store.path.parent.exists()  # a failed lookup leaves no files behind


def test_value_never_in_repr_str_or_errors(store: SecretStore, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(NAME, VALUE)
    secret = resolve_secret(NAME, store)
    assert isinstance(secret, SecretStr)
    for text in (repr(secret), str(secret), f"{secret}", repr(store), repr({"token": secret})):
        assert VALUE not in text and "tok-" not in text


def test_default_location_does_not_depend_on_cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    default = default_secrets_dir()
    assert default.parts[-2:] == ("data", "secrets")
    assert (default.parent.parent / "helpers" / "settings.py").exists()
    assert SecretStore().path.parent == default


def test_seed_headers_resolve_from_store(store: SecretStore) -> None:
    server = ExternalMCPServerConfig.parse(
        {
            "_name": "Weather MCP",
            "_userType": "weather_mcp",
            "_namespaces": ["ns"],
            "_connection": {
                "_url": "http://127.0.0.1:9/mcp",
                "_headers": {
                    "Authorization": {"type": "secret", "value": NAME},
                    "X-Retry": {"type": "literal", "value": "3"},
                },
            },
        }
    )
    assert VALUE not in repr(server)
    store.set(NAME, VALUE)
    headers = server.connection.resolve_headers(lambda name: resolve_secret(name, store))
    assert headers == {"Authorization": VALUE, "X-Retry": "3"}


def test_redact() -> None:
    text = f"sent Authorization: {VALUE} and again {VALUE[7:]}"
    assert (
        redact_text(text, [SecretStr(VALUE), VALUE[7:], ""])
        == "sent Authorization: <redacted> and again <redacted>"
    )


def test_redacting_filter_on_a_logger(store: SecretStore, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(NAME, VALUE)
    resolve_secret(NAME, store)  # registers the value with the process-wide filter
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactingFilter())
    logger = logging.getLogger("workbook.test.redaction")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning("headers=%s", {"Authorization": VALUE})
        logging.getLogger("workbook.test.redaction.child").error("child says %s", VALUE)
        try:
            raise RuntimeError(f"server rejected {VALUE}")
        except RuntimeError:
            logger.exception("call failed")
    finally:
        logger.removeHandler(handler)
    output = stream.getvalue()
    assert "tok-4f9a" not in output
    assert "'Authorization': '<redacted>'" in output and "child says <redacted>" in output
    assert "server rejected <redacted>" in output


def test_explicit_filter_list() -> None:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "token %s", ("abc123-not-registered",), None)
    assert RedactingFilter(["abc123-not-registered"]).filter(record)
    assert record.getMessage() == "token <redacted>"
