#!/usr/bin/env bash
# Set up everything and open JupyterLab on the notebooks. Offline by default (BACKEND=standin).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
exec .venv/bin/jupyter lab --notebook-dir=notebooks --ip=127.0.0.1 "$@"
