#!/usr/bin/env bash
# Set up everything and run the whole offline test suite: lint, unit tests, and every notebook
# under papermill. Extra arguments go to pytest (e.g. scripts/test.sh -k notebook).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
bash scripts/system-deps.sh
.venv/bin/ruff check .
exec .venv/bin/python -m pytest "$@"
