# Sourced, not run: the one place that says where Tetra's Python environment lives, for
# scripts/setup.sh (which creates it) and everything that runs its Python (bench/run_*.sh).
#   TETRA_VENV    the environment (default: ~/.cache/tetra/venv, outside the source tree)
# Sets: tetra_venv, tetra_python.
# shellcheck shell=bash
tetra_venv="${TETRA_VENV:-$HOME/.cache/tetra/venv}"
tetra_python="$tetra_venv/bin/python"

# require_tetra_python PYTHON: exits with how to get it when PYTHON cannot run.
require_tetra_python() {
  command -v "$1" >/dev/null 2>&1 && return
  echo "no Python at $1: run scripts/setup.sh (it creates $tetra_venv; TETRA_VENV moves it), or set PYTHON" >&2
  exit 1
}
