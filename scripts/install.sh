#!/usr/bin/env bash
# Create the project's virtual environment (.venv) and install the pinned requirements into it.
#
#   bash scripts/install.sh                 the learner's set: requirements.txt (what the notebooks need)
#   bash scripts/install.sh --live          + requirements-live.txt (WORKBOOK_CLUSTER=live)
#   bash scripts/install.sh --dev           + requirements-dev.txt (tests and lint; includes --live)
#   bash scripts/install.sh --offline DIR   from a wheelhouse made by scripts/wheelhouse.sh, with no
#                                           network at all (or set WORKBOOK_OFFLINE=DIR)
#
# Uses uv (from PATH, or bootstrapped from PyPI into ~/.cache/mcp-workbook/tools), and plain
# `python -m venv` + pip when uv cannot be had. uv is given the index/find-links settings of pip's
# configuration (scripts/pip_config_to_uv.py). Other knobs: see scripts/lib.sh.
#
# Safe to run again: each set is installed only when its requirement files or pyproject.toml
# changed since the last install (stamps in .venv/.requirements*.sha256).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

set_name=learner
offline=${WORKBOOK_OFFLINE:-}
while [ $# -gt 0 ]; do
  case $1 in
    --dev) set_name=dev ;;
    --live) [ "$set_name" = dev ] || set_name=live ;;
    --offline) [ $# -ge 2 ] || { echo "error: --offline needs a folder" >&2; exit 2; }; offline=$2; shift ;;
    --offline=*) offline=${1#--offline=} ;;
    *) echo "usage: bash scripts/install.sh [--dev | --live] [--offline DIR]" >&2; exit 2 ;;
  esac
  shift
done

case $set_name in
  learner) requirements=(-r requirements.txt) ;;
  live) requirements=(-r requirements.txt -r requirements-live.txt) ;;
  dev) requirements=(-r requirements-dev.txt) ;;
esac
stamp_of() {  # a set's stamp file, and the hash of its requirement files it must hold
  case $1 in
    learner) echo ".venv/.requirements.sha256 $(files_hash requirements.txt pyproject.toml)" ;;
    live) echo ".venv/.requirements-live.sha256 $(files_hash requirements.txt requirements-live.txt pyproject.toml)" ;;
    dev) echo ".venv/.requirements-dev.sha256 $(files_hash requirements.txt requirements-live.txt \
                                                            requirements-dev.txt pyproject.toml)" ;;
  esac
}
if [ -n "$offline" ]; then
  offline=$(cd "$offline" 2>/dev/null && pwd) || { echo "error: no wheelhouse folder $offline" >&2; exit 2; }
fi
read -r stamp wanted <<<"$(stamp_of "$set_name")"
if [ -x .venv/bin/python ] && [ "$(cat "$stamp" 2>/dev/null)" = "$wanted" ]; then
  exit 0
fi

if [ -n "$offline" ]; then
  echo "Installing the $set_name set into .venv from $offline, with no network"
else
  echo "Installing the $set_name set into .venv"
fi
python=$(pick_python)
start=$SECONDS

if uv=$(find_uv "$python" "$offline"); then
  if [ -n "$offline" ]; then
    uv_flags=(--offline --no-index --find-links "$offline")
  else
    uv_flags=()
    uv_sources_from_pip "$python"
  fi
  # A fresh venv has no pip: nothing here or in the notebooks needs it (`uv pip` installs).
  [ -x .venv/bin/python ] || "$uv" venv --quiet --allow-existing --python "$python" .venv
  # --compile-bytecode as pip does: a few seconds now, and every JupyterLab, kernel and server
  # start is faster, also where PYTHONDONTWRITEBYTECODE keeps Python from caching it later.
  "$uv" pip install --quiet --compile-bytecode --python .venv/bin/python \
    ${uv_flags[@]+"${uv_flags[@]}"} "${requirements[@]}"
else
  [ -x .venv/bin/python ] || "$python" -m venv .venv
  .venv/bin/python -m pip --version >/dev/null 2>&1 || .venv/bin/python -m ensurepip --upgrade >/dev/null
  if [ -n "$offline" ]; then
    .venv/bin/python -m pip install --quiet --no-index --find-links "$offline" "${requirements[@]}"
  else
    .venv/bin/python -m pip install --quiet --upgrade pip
    .venv/bin/python -m pip install --quiet "${requirements[@]}"
  fi
fi

# The dev set holds the live and learner sets, and the live set holds the learner set.
case $set_name in
  dev) covered=(dev live learner) ;;
  live) covered=(live learner) ;;
  learner) covered=(learner) ;;
esac
for name in "${covered[@]}"; do
  read -r file hash <<<"$(stamp_of "$name")"
  echo "$hash" > "$file"
done
echo "Installed the $set_name set in $((SECONDS - start)) s ($(.venv/bin/python --version))"
