#!/usr/bin/env bash
# Debian packages some tests use: PostgreSQL (the SQL tool's read-only guarantees on a real server)
# and Chromium (tests/test_browser.py drives JupyterLab in it with Playwright, whose own browser
# download is not used).
# Installed only where missing and only when we may (root with apt-get); otherwise those tests
# report their skip by name. Never fails the run by itself.
set -uo pipefail

missing=()
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
[ -x /usr/bin/chromium ] || missing+=(chromium)

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "note: not installing ${missing[*]} (needs root and apt-get); the tests that need them will skip."
  exit 0
fi
echo "Installing Debian packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
if ! { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; }; then
  echo "note: apt-get could not install ${missing[*]}; the tests that need them will skip."
fi
exit 0
