# Shared by scripts/install.sh and scripts/wheelhouse.sh (sourced, not run): find Python 3.11+,
# find or bootstrap uv, and give uv the package sources pip is configured with.
#
# Environment knobs (all optional):
#   PYTHON=/path/to/python3.11   the interpreter for .venv (default: the first 3.11+ on PATH)
#   WORKBOOK_INSTALLER=pip       never use uv (plain `python -m venv` + pip); default: uv, else pip
#   WORKBOOK_TOOLS_DIR=DIR       where uv is bootstrapped when it is not on PATH
#                                (default: ${XDG_CACHE_HOME:-~/.cache}/mcp-workbook/tools)
#   WORKBOOK_UV_FROM_PIP=0       do not copy pip's index/find-links settings into UV_* variables

WORKBOOK_TOOLS_DIR=${WORKBOOK_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/mcp-workbook/tools}

pick_python() {
  local candidate
  for candidate in "${PYTHON:-}" python3.11 python3 python; do
    if [ -n "$candidate" ] && command -v "$candidate" >/dev/null 2>&1 &&
       "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
      command -v "$candidate"; return 0
    fi
  done
  echo "error: Python 3.11 or newer is needed (set PYTHON=/path/to/python3.11)." >&2
  return 1
}

# tools_python PYTHON: a venv of our own with pip in it (for bootstrapping uv and for downloads),
# made by the stdlib venv module, which needs no network. Prints its interpreter.
tools_python() {
  local python=$1 tools_py="$WORKBOOK_TOOLS_DIR/bin/python"
  if ! "$tools_py" -m pip --version >/dev/null 2>&1; then
    rm -rf "$WORKBOOK_TOOLS_DIR"
    mkdir -p "$(dirname "$WORKBOOK_TOOLS_DIR")"
    "$python" -m venv "$WORKBOOK_TOOLS_DIR" >&2 || return 1
  fi
  echo "$tools_py"
}

# find_uv PYTHON [WHEELHOUSE]: print the path of a working uv, or return 1 (then use plain pip).
# uv on PATH first; else the one bootstrapped earlier; else `pip install uv` (pinned in
# requirements-bootstrap.txt) into the tools venv, from WHEELHOUSE with no network when given.
find_uv() {
  local python=$1 wheelhouse=${2:-} tools_py
  [ "${WORKBOOK_INSTALLER:-}" = pip ] && return 1
  if command -v uv >/dev/null 2>&1 && uv --version >/dev/null 2>&1; then
    command -v uv; return 0
  fi
  if "$WORKBOOK_TOOLS_DIR/bin/uv" --version >/dev/null 2>&1; then
    echo "$WORKBOOK_TOOLS_DIR/bin/uv"; return 0
  fi
  echo "Bootstrapping uv into $WORKBOOK_TOOLS_DIR" >&2
  tools_py=$(tools_python "$python") || return 1
  if [ -n "$wheelhouse" ]; then
    "$tools_py" -m pip install --quiet --no-index --find-links "$wheelhouse" -r requirements-bootstrap.txt >&2
  else
    "$tools_py" -m pip install --quiet -r requirements-bootstrap.txt >&2
  fi || { echo "note: could not install uv; using plain pip instead." >&2; return 1; }
  "$WORKBOOK_TOOLS_DIR/bin/uv" --version >/dev/null 2>&1 || return 1
  echo "$WORKBOOK_TOOLS_DIR/bin/uv"
}

# uv_sources_from_pip PYTHON: export UV_INDEX_URL, UV_EXTRA_INDEX_URL, UV_FIND_LINKS, ... from
# `pip config list` (pip.conf files and PIP_* variables), which uv does not read by itself.
# Variables already set are left alone. See scripts/pip_config_to_uv.py.
uv_sources_from_pip() {
  local python=$1 exports
  [ "${WORKBOOK_UV_FROM_PIP:-1}" = 0 ] && return 0
  exports=$("$python" "$(dirname "${BASH_SOURCE[0]}")/pip_config_to_uv.py") || return 0
  eval "$exports"
}

# sha256 of the given files, for the "install only when something changed" stamps.
files_hash() {
  if command -v sha256sum >/dev/null 2>&1; then cat "$@" | sha256sum | cut -d' ' -f1
  else cat "$@" | shasum -a 256 | cut -d' ' -f1; fi  # macOS
}
