"""Settings for the notebooks: a notebook parameter wins, then the environment, then the project's `.env`.

Read when asked for, never at import, so a notebook can change a parameter and run again.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from dotenv import dotenv_values

from helpers.errors import ConfigError

# The one place that knows where the project lives; every data file is found from DATA_DIR, never the cwd.
PROJECT_ROOT = Path(__file__).resolve().parents[1]
DATA_DIR = PROJECT_ROOT / "data"
BUILD_DIR = PROJECT_ROOT / "build"
ENV_FILE = PROJECT_ROOT / ".env"


# While a `hidden(...)` block runs: name prefix -> the only values `setting` may see for such names.
_HIDDEN: dict[str, Mapping[str, str]] = {}


@contextmanager
def hidden(prefix: str, instead: Mapping[str, str] | None = None) -> Iterator[None]:
    """Within the block, settings whose name starts with `prefix` come only from `instead` (default: none).

    Troubleshooting cells use it to show what missing or placeholder settings do, without
    touching the process environment or the reader's `.env`.
    """
    _HIDDEN[prefix] = dict(instead or {})
    try:
        yield
    finally:
        del _HIDDEN[prefix]


def setting(name: str, parameter: str | None = None, default: str | None = None) -> str | None:
    """The value of `name`: the notebook parameter if not empty, else the environment, else `.env`."""
    if parameter not in (None, ""):
        return parameter
    for prefix, instead in _HIDDEN.items():
        if name.startswith(prefix):
            return instead.get(name) or default
    value = os.environ.get(name)
    if value in (None, "") and ENV_FILE.is_file():
        value = dotenv_values(ENV_FILE).get(name)
    return value if value not in (None, "") else default


# The settings every notebook's parameters cell has; others live in the environment or .env only.
NOTEBOOK_PARAMETERS = {"BACKEND", "BASE_URL", "MODEL"}


def required(name: str, parameter: str | None = None, how: str = "") -> str:
    """Like `setting`, but a missing value raises ConfigError that says where to set it.

    Only the notebook parameters are suggested for the parameters cell; never a secret.
    """
    value = setting(name, parameter)
    if value is None:
        hint = f" {how}" if how else ""
        where = "in the notebook's parameters cell, " if name in NOTEBOOK_PARAMETERS else ""
        raise ConfigError(
            f"{name} is not set.{hint} Set it {where}in the environment (export {name}=...) "
            f"or in {ENV_FILE} (see .env.example)."
        )
    return value
