#!/usr/bin/env bash
# The unit tests on each newer supported Python this machine has (Python 3.11 is the floor and
# runs the whole suite). An interpreter counts if it runs: on PATH, or installed by pyenv even
# when pyenv's shim does not select it. Each gets its own environment from the same lock file.
# Usage: scripts/test-interpreters.sh UV VENV VERSION...
set -euo pipefail
uv=$1; venv=$2; shift 2
find_python() {
  local v=$1 candidate
  for candidate in "$(command -v "python$v" || true)" \
      "${PYENV_ROOT:-$HOME/.pyenv}"/versions/"$v".*/bin/"python$v"; do
    [ -n "$candidate" ] && [ -x "$candidate" ] && "$candidate" -c pass 2>/dev/null && {
      echo "$candidate"; return 0; }
  done
  return 1
}
for v in "$@"; do
  if ! py=$(find_python "$v"); then echo "Python $v: not on this machine, skipped"; continue; fi
  echo "== unit tests on $("$py" --version) ($py)"
  UV_PROJECT_ENVIRONMENT="$venv-$v" "$uv" sync --frozen --python "$py" -q
  "$venv-$v/bin/pytest" -q -p no:cacheprovider -n auto tests/unit
done
