#!/usr/bin/env bash
# Set up everything and run the whole offline test suite: lint, format check, unit tests, and every
# notebook under papermill. Extra arguments go to pytest (e.g. scripts/test.sh -k notebook).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh --dev
bash scripts/system-deps.sh
.venv/bin/ruff check .
.venv/bin/ruff format --check helpers tests
exec .venv/bin/python -m pytest "$@"
