#!/usr/bin/env bash
# Build a wheelhouse: a folder of every wheel the learner's environment needs on this platform and
# Python, plus uv's own wheel, so that a room with no network can set up with
#     bash scripts/workbook.sh --offline DIR
#
#   bash scripts/wheelhouse.sh [DIR]     (default DIR: wheelhouse/, which git ignores)
#
# Needs the network (the package indexes pip is configured with). The helpers package is not in it
# as a wheel: the offline install builds it, editable, from the project's source tree, with the
# setuptools wheel that is in the folder. Safe to run again into the same folder (it is refreshed;
# delete it first to drop wheels of versions no longer pinned).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

dir=${1:-wheelhouse}
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
python=$(pick_python)
start=$SECONDS
echo "Building a wheelhouse for $("$python" --version) on $(uname -sm) in $dir"

# pip downloads the wheels (uv has no command that keeps them), the pip pinned in
# requirements-bootstrap.txt, in a venv of our own (scripts/lib.sh).
tools_py=$(tools_python "$python")
"$tools_py" -m pip install --quiet -r requirements-bootstrap.txt
lock="$dir/requirements.lock"
build_requires=$("$python" -c 'import tomllib; print("\n".join(tomllib.load(open("pyproject.toml", "rb"))["build-system"]["requires"]))')

# 1. Resolve the whole learner set (with the build backend of the helpers package) to exact
#    versions; 2. fetch those wheels (an sdist-only package would be built into a wheel here).
printf '%s\n' "$build_requires" > "$dir/.build-requires.in"
if uv=$(find_uv "$python"); then
  uv_sources_from_pip "$python"
  "$uv" pip compile --quiet --python "$python" --no-header --no-annotate \
    requirements.txt "$dir/.build-requires.in" -o "$lock.tmp"
  grep -v '^-e ' "$lock.tmp" > "$lock"
  # only what the folder does not hold yet (a re-run fetches nothing)
  "$tools_py" - "$lock" "$dir" > "$lock.missing" <<'PY'
import pathlib, re, sys
lock, folder = sys.argv[1], pathlib.Path(sys.argv[2])
norm = lambda s: re.sub(r"[-_.]+", "_", s).lower()
have = {tuple(norm(p) for p in w.name.split("-")[:2]) for w in folder.glob("*.whl")}
for line in open(lock):
    name, sep, version = line.strip().partition("==")
    if sep and (norm(name.split("[")[0]), norm(version.split(";")[0].strip())) not in have:
        print(line.strip())
PY
  [ ! -s "$lock.missing" ] ||
    "$tools_py" -m pip wheel --quiet --no-deps --wheel-dir "$dir" -r "$lock.missing"
else  # no uv: pip resolves and fetches in one go
  "$tools_py" -m pip wheel --quiet --wheel-dir "$dir" -r requirements.txt -r "$dir/.build-requires.in"
  rm -f "$dir"/mcp_workbook_helpers-*.whl
  (cd "$dir" && ls *.whl | sed -E 's/^([^-]+)-([^-]+)-.*/\1==\2/' | tr '_' '-' | sort) > "$lock"
fi
rm -f "$lock.tmp" "$lock.missing" "$dir/.build-requires.in"

# 3. uv's own wheel (and pip's), so the offline machine can bootstrap uv (scripts/install.sh does).
"$tools_py" -m pip download --quiet --no-deps --only-binary=:all: --dest "$dir" -r requirements-bootstrap.txt

cat > "$dir/README.txt" <<EOF
Wheelhouse of the MCP tool-calling workbook: every wheel its learner environment needs
($(grep -c . "$lock") packages, pinned in requirements.lock), plus the wheels of uv and pip.
Built $(date -u +%Y-%m-%d) for $("$python" --version) on $(uname -sm) by scripts/wheelhouse.sh.
It serves only that Python version and that kind of machine.

To set up with no network, from the workbook's folder (a clone or a copy of the project):

    bash scripts/workbook.sh --offline /path/to/this/folder
    (or: WORKBOOK_OFFLINE=/path/to/this/folder bash scripts/workbook.sh)

That creates .venv, installs uv from here when it is not on PATH (into
~/.cache/mcp-workbook/tools), installs every wheel from here with
'uv pip install --offline --no-index --find-links', builds the helpers package from the source
tree (editable), and opens JupyterLab. Without uv, pip does the same with
'--no-index --find-links'. To install only: bash scripts/install.sh --offline /path/to/this/folder
EOF

echo "Wheelhouse ready: $(ls "$dir"/*.whl | wc -l) wheels, $(du -sh "$dir" | cut -f1), in $((SECONDS - start)) s: $dir"
