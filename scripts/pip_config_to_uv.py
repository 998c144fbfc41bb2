"""Print shell `export` lines that give uv the package sources pip is configured with.

uv reads none of pip's configuration (pip.conf, PIP_* variables), so on a machine whose pip is set
up with a mirror, extra indexes or a local folder of wheels, a bare `uv pip install` would look
elsewhere than `pip install` does. This reads `python -m pip config list` (every config file and
PIP_* variable, merged the way pip merges them) and maps the settings uv has an equivalent for:

    index-url -> UV_INDEX_URL          extra-index-url -> UV_EXTRA_INDEX_URL (space-separated)
    find-links -> UV_FIND_LINKS (comma-separated)   no-index -> UV_NO_INDEX
    trusted-host -> UV_INSECURE_HOST   cert -> SSL_CERT_FILE   client-cert -> SSL_CLIENT_CERT
    timeout -> UV_HTTP_TIMEOUT         proxy -> HTTPS_PROXY and HTTP_PROXY

pip takes the best version found on *any* of its sources; uv by default stops at the first index
that has the package at all. When pip has extra indexes or find-links, this also sets
UV_INDEX_STRATEGY=unsafe-best-match so that uv chooses as pip does.

A variable that is already set is never overridden. Usage (scripts/lib.sh does this):

    eval "$(python scripts/pip_config_to_uv.py)"
"""

from __future__ import annotations

import ast
import os
import shlex
import subprocess
import sys

# pip option -> (variables, separator for several values; None = single value, "bool" = flag)
OPTIONS: dict[str, tuple[tuple[str, ...], str | None]] = {
    "index-url": (("UV_INDEX_URL",), None),
    "extra-index-url": (("UV_EXTRA_INDEX_URL",), " "),
    "find-links": (("UV_FIND_LINKS",), ","),
    "no-index": (("UV_NO_INDEX",), "bool"),
    "trusted-host": (("UV_INSECURE_HOST",), " "),
    "cert": (("SSL_CERT_FILE",), None),
    "client-cert": (("SSL_CLIENT_CERT",), None),
    "timeout": (("UV_HTTP_TIMEOUT",), None),
    "proxy": (("HTTPS_PROXY", "HTTP_PROXY"), None),
}
ALIASES = {"default-timeout": "timeout", "i": "index-url", "f": "find-links"}
# Later sections override earlier ones, as in `pip install`: config files' [global], then their
# [install], then PIP_* environment variables.
SECTION_ORDER = {"global": 0, "install": 1, ":env:": 2}


def parse_pip_config(lines: list[str]) -> dict[str, str]:
    """The effective `pip install` settings from the lines of `pip config list`."""
    ranked: dict[str, tuple[int, str]] = {}
    for line in lines:
        name, sep, raw = line.partition("=")
        section, dot, key = name.strip().partition(".")
        if not sep or not dot or section not in SECTION_ORDER:
            continue
        try:
            value = ast.literal_eval(raw.strip())
        except (ValueError, SyntaxError):
            value = raw.strip().strip("'\"")
        key = ALIASES.get(key, key)
        rank = SECTION_ORDER[section]
        if key not in ranked or rank >= ranked[key][0]:
            ranked[key] = (rank, str(value))
    return {key: value for key, (_, value) in ranked.items()}


def uv_environment(settings: dict[str, str], environ: dict[str, str]) -> dict[str, str]:
    """The variables to export for uv, leaving alone any that `environ` already sets."""
    out: dict[str, str] = {}
    for key, (names, sep) in OPTIONS.items():
        if key not in settings:
            continue
        value = settings[key]
        if sep == "bool":
            if value.strip().lower() not in ("1", "true", "yes", "on"):
                continue
            value = "1"
        elif sep is not None:
            value = sep.join(value.split())
        else:
            value = value.strip()
        if not value:
            continue
        for name in names:
            if not environ.get(name):
                out[name] = value
    if (
        settings.get("extra-index-url", "").strip() or settings.get("find-links", "").strip()
    ) and not environ.get("UV_INDEX_STRATEGY"):
        out["UV_INDEX_STRATEGY"] = "unsafe-best-match"
    return out


def main() -> int:
    try:
        listing = subprocess.run(
            [sys.executable, "-m", "pip", "config", "list"],
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return 0  # no pip here, or no configuration to carry over
    for name, value in uv_environment(parse_pip_config(listing.splitlines()), dict(os.environ)).items():
        print(f"export {name}={shlex.quote(value)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
