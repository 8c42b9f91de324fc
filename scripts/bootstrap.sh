#!/usr/bin/env bash
# Creates the project's virtual environment (.venv) from requirements.txt
# (and requirements-nodeps.txt, installed without their declared dependencies).
#
# The environment is built once per hash of its inputs (requirements.txt and the Python
# version)
# under $HELPDESK_CACHE (default ~/.cache/helpdesk) and .venv is a symlink to it,
# so a fresh clone with unchanged requirements reuses it instantly. A second call with
# nothing changed does nothing.
set -euo pipefail
cd "$(dirname "$0")/.."

CACHE="${HELPDESK_CACHE:-$HOME/.cache/helpdesk}"

is_py310() { "$1" -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 10) else 1)' >/dev/null 2>&1; }

find_python() {
  if [ -n "${PYTHON:-}" ]; then
    if is_py310 "$PYTHON"; then echo "$PYTHON"; return 0; fi
    echo "PYTHON=$PYTHON is not a working Python 3.10." >&2; return 1
  fi
  local candidates=()
  if command -v pyenv >/dev/null 2>&1; then
    local root; root="$(pyenv root)"
    candidates+=("$root/versions/3.10.13/bin/python")
    for p in "$root"/versions/3.10*/bin/python; do candidates+=("$p"); done
  fi
  candidates+=("$(command -v python3.10 || true)" /usr/bin/python3.10 /usr/local/bin/python3.10)
  for p in "${candidates[@]}"; do
    if [ -n "$p" ] && [ -x "$p" ] && is_py310 "$p"; then echo "$p"; return 0; fi
  done
  cat >&2 <<MSG
Python 3.10 was not found (Rasa 3.6 runs on Python 3.8-3.10 only).
Install it, then run the command again:
  - with pyenv:       pyenv install 3.10.13
  - on Debian/Ubuntu: apt-get install python3.10 python3.10-venv
  - or point to one:  make run PYTHON=/path/to/python3.10
MSG
  return 1
}

PY="$(find_python)"
PYVER="$("$PY" -c 'import sys; print(sys.version.split()[0])')"
HASH="$( (echo "$PYVER"; cat requirements.txt requirements-nodeps.txt) | sha256sum | cut -c1-16)"
ENV_DIR="$CACHE/venvs/$HASH"

if [ -L .venv ] && [ "$(readlink .venv)" = "$ENV_DIR" ] && [ -f "$ENV_DIR/.complete" ]; then
  exit 0
fi

if [ ! -f "$ENV_DIR/.complete" ]; then
  echo "Creating the Python environment (Python $PYVER) in $ENV_DIR ..."
  rm -rf "$ENV_DIR"
  mkdir -p "$CACHE/venvs"
  "$PY" -m venv "$ENV_DIR"
  LOG="$ENV_DIR/install.log"
  if "$ENV_DIR/bin/pip" install --quiet uv==0.13.9 >"$LOG" 2>&1; then
    { "$ENV_DIR/bin/uv" pip install --python "$ENV_DIR/bin/python" -r requirements.txt \
      && "$ENV_DIR/bin/uv" pip install --python "$ENV_DIR/bin/python" --no-deps \
           -r requirements-nodeps.txt; } >>"$LOG" 2>&1 \
      || { tail -n 30 "$LOG" >&2; echo "Installing requirements failed; full log: $LOG" >&2; exit 1; }
  else
    echo "uv is unavailable; installing with pip (slower) ..."
    { "$ENV_DIR/bin/pip" install --quiet -r requirements.txt \
      && "$ENV_DIR/bin/pip" install --quiet --no-deps -r requirements-nodeps.txt; } >>"$LOG" 2>&1 \
      || { tail -n 30 "$LOG" >&2; echo "Installing requirements failed; full log: $LOG" >&2; exit 1; }
  fi
  touch "$ENV_DIR/.complete"
  echo "Environment ready ($(du -sh "$ENV_DIR" | cut -f1))."
fi

if [ -e .venv ] && [ ! -L .venv ]; then
  echo "Replacing the local .venv directory with a link to $ENV_DIR"
  rm -rf .venv
fi
ln -sfn "$ENV_DIR" .venv
