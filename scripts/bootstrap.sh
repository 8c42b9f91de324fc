#!/usr/bin/env bash
# Creates the project's two virtual environments:
#
#   .venv      Rasa and the action server: Python 3.10 (Rasa 3.6 runs on 3.8-3.10),
#              requirements.txt (+ requirements-nodeps.txt, installed without their
#              declared dependencies);
#   .venv-hub  the hub (ticketing/): a current Python (3.12), requirements-hub.txt, with
#              current releases (aiohttp 3.14, SQLAlchemy 2): it never imports Rasa, so it
#              is not held to Rasa's pins.
#
# Each environment is built once per hash of its inputs (its requirements files and the
# Python version) under $HELPDESK_CACHE (default ~/.cache/helpdesk) and the project's link
# points at it, so a fresh clone with unchanged requirements reuses it instantly. A second
# call with nothing changed does nothing. `bootstrap.sh rasa` or `bootstrap.sh hub` builds one.
set -euo pipefail
cd "$(dirname "$0")/.."

CACHE="${HELPDESK_CACHE:-$HOME/.cache/helpdesk}"
UV_VERSION=0.13.9

has_version() { "$1" -c "import sys; sys.exit(0 if sys.version_info[:2] == ($2) else 1)" >/dev/null 2>&1; }

# find_python MAJOR.MINOR VARIABLE: a Python of that version ($VARIABLE, pyenv, PATH)
find_python() {
  local want="$1" override="${!2:-}" tuple="${1/./, }"
  if [ -n "$override" ]; then
    if has_version "$override" "$tuple"; then echo "$override"; return 0; fi
    echo "$2=$override is not a working Python $want." >&2; return 1
  fi
  local candidates=()
  if command -v pyenv >/dev/null 2>&1; then
    local root; root="$(pyenv root)"
    for p in "$root"/versions/"$want".*/bin/python; do candidates+=("$p"); done
  fi
  candidates+=("$(command -v "python$want" || true)" "/usr/bin/python$want" "/usr/local/bin/python$want")
  for p in "${candidates[@]}"; do
    if [ -n "$p" ] && [ -x "$p" ] && has_version "$p" "$tuple"; then echo "$p"; return 0; fi
  done
  cat >&2 <<MSG
Python $want was not found. Install it, then run the command again:
  - with pyenv:       pyenv install $want
  - on Debian/Ubuntu: apt-get install python$want python$want-venv
  - or point to one:  make run $2=/path/to/python$want
MSG
  return 1
}

# build LINK PYTHON REQUIREMENTS [NODEPS_REQUIREMENTS]
build() {
  local link="$1" py="$2" reqs="$3" nodeps="${4:-}"
  local pyver hash env_dir log
  pyver="$("$py" -c 'import sys; print(sys.version.split()[0])')"
  hash="$( (echo "$pyver"; cat "$reqs" ${nodeps:+"$nodeps"}) | sha256sum | cut -c1-16)"
  env_dir="$CACHE/venvs/$hash"
  if [ -L "$link" ] && [ "$(readlink "$link")" = "$env_dir" ] && [ -f "$env_dir/.complete" ]; then
    return 0
  fi
  if [ ! -f "$env_dir/.complete" ]; then
    echo "Creating $link (Python $pyver) in $env_dir ..."
    rm -rf "$env_dir"
    mkdir -p "$CACHE/venvs"
    "$py" -m venv "$env_dir"
    log="$env_dir/install.log"
    if "$env_dir/bin/pip" install --quiet "uv==$UV_VERSION" >"$log" 2>&1; then
      { "$env_dir/bin/uv" pip install --python "$env_dir/bin/python" -r "$reqs" \
        && if [ -n "$nodeps" ]; then
             "$env_dir/bin/uv" pip install --python "$env_dir/bin/python" --no-deps -r "$nodeps"
           fi; } >>"$log" 2>&1 \
        || { tail -n 30 "$log" >&2; echo "Installing $reqs failed; full log: $log" >&2; exit 1; }
    else
      echo "uv is unavailable; installing with pip (slower) ..."
      { "$env_dir/bin/pip" install --quiet -r "$reqs" \
        && if [ -n "$nodeps" ]; then
             "$env_dir/bin/pip" install --quiet --no-deps -r "$nodeps"
           fi; } >>"$log" 2>&1 \
        || { tail -n 30 "$log" >&2; echo "Installing $reqs failed; full log: $log" >&2; exit 1; }
    fi
    touch "$env_dir/.complete"
    echo "$link ready ($(du -sh "$env_dir" | cut -f1))."
  fi
  if [ -e "$link" ] && [ ! -L "$link" ]; then
    echo "Replacing the local $link directory with a link to $env_dir"
    rm -rf "$link"
  fi
  ln -sfn "$env_dir" "$link"
}

which="${1:-all}"
if [ "$which" = all ] || [ "$which" = rasa ]; then
  build .venv "$(find_python 3.10 PYTHON)" requirements.txt requirements-nodeps.txt
fi
if [ "$which" = all ] || [ "$which" = hub ]; then
  build .venv-hub "$(find_python 3.12 HUB_PYTHON)" requirements-hub.txt
fi
