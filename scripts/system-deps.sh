#!/usr/bin/env bash
# Debian packages some tests use: PostgreSQL (the SQL tool's read-only guarantees on a real server)
# and Chromium (tests/test_browser.py drives JupyterLab in it with Playwright, whose own browser
# download is not used).
# Installed only where missing and only when we may (root with apt-get). Outside CI, whatever
# stays missing is only a note and the tests that need it report their skip by name. In CI (CI set
# and non-empty) a package still missing fails the run, naming it and why, since a skip there
# would hide tests that never ran.
set -uo pipefail

find_missing() {
  missing=()
  ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
  [ -x /usr/bin/chromium ] || missing+=(chromium)
}

give_up() {  # give_up WHY
  if [ -n "${CI:-}" ]; then
    echo "error: CI needs the Debian packages ${missing[*]}, still missing: $1." >&2
    echo "error: without them the PostgreSQL and browser tests would only skip." >&2
    exit 1
  fi
  echo "note: not installing ${missing[*]} ($1); the tests that need them will skip."
  exit 0
}

find_missing
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  give_up "installing them needs root"
fi
if ! command -v apt-get >/dev/null 2>&1; then
  give_up "installing them needs apt-get, which this machine does not have"
fi
echo "Installing Debian packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt_log=$(mktemp)
if ! { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}"; } >"$apt_log" 2>&1; then
  tail -n 5 "$apt_log" >&2
fi
rm -f "$apt_log"
find_missing
[ ${#missing[@]} -eq 0 ] && exit 0
give_up "apt-get could not install them (see its last lines above)"
