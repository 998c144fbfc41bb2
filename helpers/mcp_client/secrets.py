"""Secrets referenced by name in configs, resolved only when connecting, never printed.

A secret header in a config holds a *name* such as `WEATHER_MCP_TOKEN`. `resolve_secret(name)` looks
it up first in the environment variable of that name, then in a local `SecretStore`: an SQLite file
whose values are encrypted with Fernet (AES + HMAC from `cryptography`). Values travel as pydantic
`SecretStr`, whose repr and str are masked; `redact` and `RedactingFilter` keep them out of logs.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken
from pydantic import SecretStr

from helpers.errors import SecretNotFoundError, SecretStoreError
from helpers.redact import remember
from helpers.settings import DATA_DIR

KEY_ENV = "WORKBOOK_SECRET_KEY"
DIR_ENV = "WORKBOOK_SECRETS_DIR"


def default_secrets_dir() -> Path:
    """The folder in WORKBOOK_SECRETS_DIR if set, else `data/secrets/` under the project root (never the cwd).

    Tests give each notebook run a store of its own this way, so one run cannot read or rewrite another's.
    """
    if folder := os.environ.get(DIR_ENV):
        return Path(folder).expanduser()
    return DATA_DIR / "secrets"


class SecretStore:
    """Fernet-encrypted secrets in an SQLite file (table `secrets`: name, ciphertext).

    Args:
        path: the SQLite file; default `secrets.sqlite3` in `default_secrets_dir()` (`data/secrets/`, or
            the folder in WORKBOOK_SECRETS_DIR).
        key_path: the key file used when WORKBOOK_SECRET_KEY is unset; default next to `path`.
        key: a Fernet key that overrides both (useful in tests).
    """

    def __init__(
        self,
        path: Path | str | None = None,
        key_path: Path | str | None = None,
        key: str | bytes | None = None,
    ) -> None:
        self.path = Path(path) if path else default_secrets_dir() / "secrets.sqlite3"
        self.key_path = Path(key_path) if key_path else self.path.parent / "secret.key"
        self._key = key
        self._fernet: Fernet | None = None

    def __repr__(self) -> str:
        return f"SecretStore(path={str(self.path)!r})"

    @contextlib.contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        if not self.path.exists():  # create it 0600 before SQLite does, so it is never world-readable
            os.close(os.open(self.path, os.O_WRONLY | os.O_CREAT, 0o600))
        conn = sqlite3.connect(self.path)
        try:
            conn.execute(
                "CREATE TABLE IF NOT EXISTS secrets (name TEXT PRIMARY KEY, ciphertext BLOB NOT NULL)"
            )
            with conn:  # commits on success, rolls back on error
                yield conn
        finally:
            conn.close()

    def _rows(self) -> list[tuple[str, bytes]]:
        if not self.path.exists():  # looking something up never creates the store
            return []
        with self._db() as conn:
            return list(conn.execute("SELECT name, ciphertext FROM secrets ORDER BY name"))

    def _load_key(self) -> bytes:
        """The key: explicit argument, then WORKBOOK_SECRET_KEY, then the key file (created if new)."""
        if self._key:
            return self._key.encode() if isinstance(self._key, str) else self._key
        if env := os.environ.get(KEY_ENV):
            return env.encode()
        if self.key_path.exists():
            return self.key_path.read_bytes().strip()
        if self._rows():
            raise SecretStoreError(
                f"the secret store at {self.path} has entries but its key file {self.key_path} is missing; "
                f"set {KEY_ENV} to the key that wrote it, or delete {self.path} and store the secrets again"
            )
        self.key_path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        key = Fernet.generate_key()
        # O_EXCL: never overwrite a key another process just wrote; 0600: readable by this user only.
        fd = os.open(self.key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(key)
        return key

    def _cipher(self) -> Fernet:
        if self._fernet is None:
            try:
                self._fernet = Fernet(self._load_key())
            except ValueError:
                raise SecretStoreError(
                    f"the secret store key (from {KEY_ENV} or {self.key_path}) is not a Fernet key; "
                    "make one with `python -c 'from cryptography.fernet import Fernet; "
                    "print(Fernet.generate_key().decode())'`"
                ) from None
        return self._fernet

    def _decrypt(self, token: bytes) -> str:
        try:
            return self._cipher().decrypt(token).decode()
        except InvalidToken:
            raise SecretStoreError(
                f"the secret store at {self.path} was encrypted with a different key; set {KEY_ENV} "
                "to the key that wrote it or delete the file"
            ) from None

    def set(self, name: str, value: str | SecretStr) -> None:
        """Store (or replace) the secret `name`, encrypted."""
        plain = value.get_secret_value() if isinstance(value, SecretStr) else value
        rows = self._rows()
        if rows:  # refuse to mix keys in one file: check the current key opens an existing entry
            self._decrypt(rows[0][1])
        token = self._cipher().encrypt(plain.encode())
        with self._db() as conn:
            conn.execute("INSERT OR REPLACE INTO secrets (name, ciphertext) VALUES (?, ?)", (name, token))

    def get(self, name: str) -> SecretStr | None:
        """The secret `name`, or None when the store has no such entry."""
        for row_name, token in self._rows():
            if row_name == name:
                return SecretStr(self._decrypt(token))
        return None

    def delete(self, name: str) -> bool:
        """Remove `name`; True when it existed."""
        if not self.path.exists():
            return False
        with self._db() as conn:
            return conn.execute("DELETE FROM secrets WHERE name = ?", (name,)).rowcount > 0

    def names(self) -> list[str]:
        """Names of the stored secrets (never their values)."""
        return [name for name, _ in self._rows()]

    def __contains__(self, name: object) -> bool:
        return name in self.names()


def resolve_secret(name: str, store: SecretStore | None = None) -> SecretStr:
    """Resolve a secret reference: the environment variable `name` wins, then the store.

    Raises:
        SecretNotFoundError: neither place holds it; the message names both places.
        SecretStoreError: the store exists but cannot be decrypted with the key at hand.
    """
    store = store or SecretStore()
    value = os.environ.get(name) or None  # an empty variable counts as unset
    secret = SecretStr(value) if value is not None else store.get(name)
    if secret is None:
        raise SecretNotFoundError(
            f"secret {name!r} not found: no environment variable {name} and no entry {name!r} in the "
            f"secret store at {store.path}. Fix: export {name}=... or run "
            f"helpers.mcp_client.secrets.SecretStore().set({name!r}, ...)"
        )
    remember(secret.get_secret_value())
    return secret
