#!/usr/bin/env bash
# Set up everything and open JupyterLab on the notebooks. Offline by default (BACKEND=standin).
#
#   bash scripts/workbook.sh                  install the learner's set into .venv, start JupyterLab
#   bash scripts/workbook.sh --offline DIR    install from a wheelhouse (scripts/wheelhouse.sh) with
#                                             no network at all; or set WORKBOOK_OFFLINE=DIR
# Any other arguments go to `jupyter lab` (e.g. --no-browser, --port=9999).
set -euo pipefail
cd "$(dirname "$0")/.."

install_args=()
while [ $# -gt 0 ]; do
  case $1 in
    --offline) [ $# -ge 2 ] || { echo "error: --offline needs a folder" >&2; exit 2; }
               install_args+=(--offline "$2"); shift 2 ;;
    --offline=*) install_args+=("$1"); shift ;;
    *) break ;;
  esac
done

bash scripts/install.sh ${install_args[@]+"${install_args[@]}"}

# JupyterLab's defaults here, each unless the arguments set it (it refuses an option given twice).
user_args=("$@")
given() {  # given OPTION...: does any argument set one of these options?
  local arg option
  for arg in ${user_args[@]+"${user_args[@]}"}; do
    for option in "$@"; do
      case $arg in "$option" | "$option="*) return 0 ;; esac
    done
  done
  return 1
}
lab_args=()
given --notebook-dir --ServerApp.root_dir || lab_args+=(--notebook-dir=notebooks)
given --ip --ServerApp.ip || lab_args+=(--ip=127.0.0.1)
given --port --ServerApp.port || lab_args+=(--port=8888)
# As root (a container, a Codespace, a CI runner) JupyterLab refuses to start without this.
if [ "$(id -u)" = 0 ]; then given --allow-root --ServerApp.allow_root || lab_args+=(--allow-root); fi
exec .venv/bin/jupyter lab ${lab_args[@]+"${lab_args[@]}"} "$@"
