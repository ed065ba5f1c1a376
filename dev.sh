#!/usr/bin/env bash
# One script for the README's quick start: it does all set-up, then runs what you ask.
#   bash dev.sh demo [ARGS...]   set up, then: kiemphieu demo ARGS
#   bash dev.sh test [ARGS...]   set up (with test tools), then: the whole test suite
#   bash dev.sh kiemphieu ARGS   set up, then any kiemphieu command
# Set-up: a virtual environment in .venv with Python 3.11+, this package and its
# dependencies from PyPI; system packages the tests need are installed when missing.
set -euo pipefail
cd "$(dirname "$0")"

need_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    echo "dev.sh: need root (or sudo) to run: $*" >&2; return 1; fi
}

apt_install() {  # apt_install PACKAGE... : install Debian packages that are missing
  local missing=()
  for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  command -v apt-get >/dev/null || { echo "dev.sh: please install: ${missing[*]}" >&2; return 1; }
  echo "dev.sh: installing ${missing[*]}" >&2
  need_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive need_root apt-get install -y -qq "${missing[@]}" >/dev/null
}

find_python() {
  for py in python3.11 python3.12 python3.13 python3; do
    if command -v "$py" >/dev/null && "$py" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
      echo "$py"; return 0
    fi
  done
  echo "dev.sh: Python 3.11 or newer is needed (Debian: apt-get install python3)" >&2
  return 1
}

setup() {  # setup EXTRA : .venv with the package installed (editable), EXTRA = "" or "test"
  local py; py=$(find_python)
  if [ ! -x .venv/bin/python ]; then
    if ! "$py" -m venv .venv 2>/dev/null; then
      rm -rf .venv
      apt_install python3-venv
      "$py" -m venv .venv
    fi
  fi
  local stamp=.venv/.kiemphieu-installed-$1
  if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
    .venv/bin/python -m pip install -q --upgrade pip >/dev/null
    if [ -n "$1" ]; then .venv/bin/python -m pip install -q -e ".[$1]"; else .venv/bin/python -m pip install -q -e .; fi
    touch "$stamp"
  fi
}

cmd=${1:-demo}; shift || true
case "$cmd" in
  demo)
    setup ""
    exec .venv/bin/kiemphieu demo "$@" ;;
  test)
    setup test
    # PostgreSQL server programs: tests/conftest.py starts a throwaway cluster on 127.0.0.1
    apt_install postgresql || echo "dev.sh: without PostgreSQL its tests are skipped (they fail under CI=true)" >&2
    apt_install chromium   # the web station's end-to-end tests drive Debian's Chromium
    .venv/bin/ruff check omr pipeline simulator tests $(ls -d benchmarks 2>/dev/null)
    .venv/bin/lint-imports  # the layers and the import contracts of pyproject.toml
    # one test process per core, at most four (pytest-xdist): the tests are CPU-bound
    workers=$(nproc 2>/dev/null || echo 1); [ "$workers" -gt 4 ] && workers=4
    exec .venv/bin/python -m pytest -q -p no:cacheprovider -n "$workers" "$@" ;;
  kiemphieu)
    setup ""
    exec .venv/bin/kiemphieu "$@" ;;
  *)
    echo "usage: bash dev.sh demo|test|kiemphieu [ARGS...]" >&2; exit 2 ;;
esac
