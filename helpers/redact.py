"""The one place that knows what a secret looks like and how to mask it.

Secrets are recognised three ways: by value (keys and tokens this process resolved or was told
about), by field or header name (`api_key`, `Authorization`), and by shape (OpenAI keys, Bearer
values, JWTs, stand-in keys). Every redaction in the workbook (wire log, viewer, cassettes, logs,
leak checks) goes through here and writes the same mask.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Iterable, Mapping
from typing import Any, Protocol

MASK = "<redacted>"
SECRET_HEADERS = frozenset({"authorization", "api-key", "x-api-key", "ocp-apim-subscription-key", "cookie"})
# Field names whose values are secrets wherever they appear in a JSON body.
SECRET_FIELDS = frozenset(
    {
        "api_key",
        "api-key",
        "apikey",
        "authorization",
        "password",
        "access_token",
        "refresh_token",
        "client_secret",
        "secret",
        "token",
    }
)
# Shapes of well-known credentials: OpenAI keys, Bearer values, JWTs (Entra ID tokens), stand-in keys.
SECRET_PATTERNS = tuple(
    re.compile(p)
    for p in (
        r"sk-[A-Za-z0-9_-]{20,}",
        r"(?i)bearer\s+(?!<redacted>)[A-Za-z0-9._~+/=-]{8,}",
        r"eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*",
        r"standin-[A-Za-z0-9_-]{24}",
    )
)
_JWT_START = re.compile(r"eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}")
# An opaque token from helpers.llm.identity is secrets.token_urlsafe(32): 43 URL-safe characters.
_TOKEN_LIKE = re.compile(r"[A-Za-z0-9_-]{32,}")
_TOKEN_LENGTH = 43
_MIN_SECRET = 8  # shorter values would mask ordinary words

# Every secret value resolved in this process (helpers.mcp_client.secrets registers them here).
_KNOWN: set[str] = set()


class HasSecretValue(Protocol):
    def get_secret_value(self) -> str: ...


SecretLike = str | HasSecretValue | None


def remember(value: str) -> None:
    """Register a secret for every later redaction, and the bare credential of a "Scheme credential" value."""
    if len(value) >= _MIN_SECRET:
        _KNOWN.add(value)
    scheme, _, credential = value.partition(" ")
    # A secret often holds a whole header value ("Bearer <token>"); the bare token leaks just as badly.
    if scheme.isalpha() and len(credential.strip()) >= _MIN_SECRET:
        _KNOWN.add(credential.strip())


def _values(secrets: Iterable[SecretLike]) -> list[str]:
    """Plain values, longest first (so no partial leftovers), without empty or too-short ones."""
    plain = {s if isinstance(s, str) else s.get_secret_value() for s in secrets if s is not None}
    return sorted((v for v in plain | _KNOWN if len(v) >= _MIN_SECRET), key=len, reverse=True)


def redact_text(text: str, secrets: Iterable[SecretLike] = ()) -> str:
    """`text` with every known secret value and every credential-shaped string replaced by MASK."""
    for value in _values(secrets):
        text = text.replace(value, MASK)
    for pattern in SECRET_PATTERNS:
        text = pattern.sub(MASK, text)
    return text


def redact(value: Any, secrets: Iterable[SecretLike] = ()) -> Any:
    """A copy of `value` (JSON-like) with secret fields, known secret values and key-shaped strings masked."""
    known = list(secrets)
    if isinstance(value, Mapping):
        return {
            k: (MASK if str(k).lower() in SECRET_FIELDS and v else redact(v, known)) for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [redact(v, known) for v in value]
    if isinstance(value, str):
        return redact_text(value, known)
    return value


def redact_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """HTTP headers with the credential-carrying ones masked by name."""
    return {k: (MASK if k.lower() in SECRET_HEADERS else v) for k, v in headers.items()}


def find_secrets(value: Any, secrets: Iterable[SecretLike] = ()) -> list[str]:
    """Where `value` (JSON-like) holds something secret: JSON paths, never the secrets themselves."""
    known = _values(secrets)
    found: list[str] = []

    def walk(node: Any, path: str) -> None:
        if isinstance(node, Mapping):
            for k, v in node.items():
                if str(k).lower() in SECRET_FIELDS and v:
                    found.append(f"{path}/{k}")
                else:
                    walk(v, f"{path}/{k}")
        elif isinstance(node, list | tuple):
            for i, v in enumerate(node):
                walk(v, f"{path}/{i}")
        elif isinstance(node, str) and (
            any(s in node for s in known) or any(p.search(node) for p in SECRET_PATTERNS)
        ):
            found.append(path or "/")

    walk(value, "")
    return found


def fingerprint(secret: str) -> str:
    """A short SHA-256 fingerprint: enough to recognise a token later, useless to anyone who reads it."""
    return hashlib.sha256(secret.encode()).hexdigest()[:12]


def leaked_secrets(
    text: str, secrets: Iterable[SecretLike] = (), fingerprints: Iterable[str] = ()
) -> list[str]:
    """What secret-looking things `text` (a log, notebook outputs) contains, described without repeating them.

    Args:
        secrets: values that must not appear (an api key); None entries are skipped.
        fingerprints: fingerprints of tokens that must not appear (from `IdentityEndpoint.issued`).

    Returns:
        One description per leak found; an empty list means none.
    """
    plain = [s if isinstance(s, str) or s is None else s.get_secret_value() for s in secrets]
    found = [
        f"secret #{number} appears" for number, secret in enumerate(plain, 1) if secret and secret in text
    ]
    wanted = set(fingerprints)
    if wanted:
        pieces = {
            run[i : i + _TOKEN_LENGTH]
            for run in set(_TOKEN_LIKE.findall(text))
            for i in range(len(run) - _TOKEN_LENGTH + 1)
        }
        if any(fingerprint(piece) in wanted for piece in pieces):
            found.append("an issued access token appears")
    if re.search(r"Bearer\s+[A-Za-z0-9_.-]{16,}", text):
        found.append("an Authorization: Bearer value appears")
    if _JWT_START.search(text):
        found.append("a JWT-shaped token appears")
    return found


class RedactingFilter(logging.Filter):
    """Masks secrets in log records. Attach it to a handler to cover records from child loggers too.

    Args:
        secrets: values to mask besides the shapes; default: every value registered with `remember`.
    """

    def __init__(self, secrets: Iterable[SecretLike] | None = None) -> None:
        super().__init__()
        self._secrets = [] if secrets is None else list(secrets)

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact_text(record.getMessage(), self._secrets)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact_text(record.exc_text, self._secrets)
        return True
